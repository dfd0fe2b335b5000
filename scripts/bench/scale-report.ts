// bench:scale's outcome as Markdown: a row per step of every round, then, over several rounds, the
// medians per worker count.
import type { PgbenchResult } from './processes.ts';
import type { BackendStates } from './scale-waits.ts';

export interface ScaleStep {
  round: number;
  workers: number;
  connections: number;
  /** With --rate: the checks sent a second (an open loop), instead of connections each sending as fast as it can. */
  rate?: number;
  checksPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  serviceCores: number;
  /**
   * The service's event loops' context switches a check: giving up the core to wait (voluntary), and
   * having it taken away by the kernel for another task (involuntary: preempted, a cost to the check).
   */
  serviceSwitches: { voluntaryPerCheck: number; involuntaryPerCheck: number };
  postgresCores: number;
  clientCores: number;
  /** The whole machine's busy cores (the three above, PostgreSQL's background writers, the kernel's threads and interrupts, anything else), of `machineCpus`. */
  machineCores: number;
  machineCpus: number;
  /** The service's PostgreSQL connections through the step: how many, on average, were in each state. */
  postgresConnections: BackendStates;
  /** The WAL of the step's checks (their writes and the aggregator's counting of them), and how many shared a flush. */
  wal: { kilobytesPerCheck: number; checksPerFlush: number };
  queueBefore: { items: number; oldestSeconds: number };
  queueAfter: { items: number; oldestSeconds: number };
}

/**
 * One pass over the worker counts: the service's steps, then pgbench at the same connections, then
 * the aggregator counting alone the checks pgbench queued.
 */
export interface ScaleRound {
  steps: ScaleStep[];
  pgbench: { read: PgbenchResult; check: PgbenchResult }[];
  aggregator: { counted: number; seconds: number; perSecond: number };
}

const count = (n: number) => Math.round(n).toLocaleString('en');
const percent = (share: number) => `${Math.round(share * 100)}%`;
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
/** The service's CPU a check, in ms: steadier than the rates on a machine whose speed drifts. */
const cpuPerCheck = (step: ScaleStep) => (step.serviceCores / step.checksPerSecond) * 1000;

const connectionStates = (c: BackendStates) => [c.cpu, c.wal, c.lock, c.other, c.idle].map((n) => n.toFixed(2)).join(' · ');

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Each step's checks/s over its round's first step, and over pgbench's read and write at its connections. */
function ratios(round: ScaleRound) {
  return round.steps.map((step, i) => ({
    step,
    scaling: step.checksPerSecond / round.steps[0].checksPerSecond,
    share: step.checksPerSecond / round.pgbench[i].check.tps,
    read: round.pgbench[i].read.tps,
    check: round.pgbench[i].check.tps,
  }));
}

/**
 * The most any step of a round could reach over its first with the machine's CPU a check unchanged:
 * the machine's CPUs over the cores the first step kept busy. The other cores are all a step can add.
 */
const room = ({ steps: [first] }: ScaleRound) => first.machineCpus / first.machineCores;

export function scaleTables(rounds: ScaleRound[]): string {
  const rows = rounds.flatMap(ratios);
  const steps = [
    '| run | workers | connections | checks/s | × first step | p50 ms | p99 ms | errors | service cores | service CPU ms a check | service switches a check: waited · preempted | PostgreSQL cores | load generator cores | machine cores busy (of all) | PostgreSQL connections: on a core · WAL · lock · other wait · idle | WAL KB a check | checks a WAL flush | queue at start → end (oldest s) | pgbench read/s | pgbench read + write/s | service ÷ read + write |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---|---:|---:|---|---:|---:|---:|',
    ...rows.map(
      ({ step: s, scaling, share, read, check }) =>
        `| ${s.round} | ${s.workers} | ${s.rate ? `open, ${count(s.rate)}/s` : s.connections} | ${count(s.checksPerSecond)} | ${times(scaling)} | ${s.p50Ms.toFixed(1)} | ${s.p99Ms.toFixed(1)} | ${s.errors} | ${s.serviceCores} | ${cpuPerCheck(s).toFixed(2)} | ${s.serviceSwitches.voluntaryPerCheck.toFixed(2)} · ${s.serviceSwitches.involuntaryPerCheck.toFixed(2)} | ${s.postgresCores} | ${s.clientCores} | ${s.machineCores} (${s.machineCpus}) | ${connectionStates(s.postgresConnections)} | ${s.wal.kilobytesPerCheck.toFixed(1)} | ${s.wal.checksPerFlush.toFixed(1)} | ${s.queueBefore.items} → ${s.queueAfter.items} (${s.queueAfter.oldestSeconds.toFixed(1)}) | ${count(read)} | ${count(check)} | ${percent(share)} |`,
    ),
  ].join('\n');
  const drains = rounds
    .map(
      ({ aggregator: a }, i) =>
        `${rounds.length > 1 ? `run ${i + 1}: ` : ''}${count(a.counted)} in ${a.seconds} s, ${count(a.perSecond)} a second`,
    )
    .join('; ');
  const aggregator = `The aggregator alone (one drain) counting the checks pgbench queued: ${drains}.`;
  const ceilings = rounds.map(room);
  const ceiling = `What the machine's cores allow over the first step, with its CPU a check unchanged (all its CPUs over the cores the first step kept busy): ${ceilings.map(times).join(', ')}.`;
  if (rounds.length < 2) return `${steps}\n\n${aggregator}\n\n${ceiling}`;
  const workers = [...new Set(rows.map((r) => r.step.workers))];
  const medians = [
    `Medians over ${rounds.length} runs (the ratios taken within each run first):`,
    '',
    '| workers | checks/s | × first step | p99 ms | service CPU ms a check | service ÷ read + write | largest queue at a step’s end (oldest s) |',
    '|---:|---:|---:|---:|---:|---:|---|',
    ...workers.map((n) => {
      const of = rows.filter((r) => r.step.workers === n);
      const largest = of.reduce((a, b) => (b.step.queueAfter.items > a.step.queueAfter.items ? b : a)).step.queueAfter;
      return `| ${n} | ${count(median(of.map((r) => r.step.checksPerSecond)))} | ${times(median(of.map((r) => r.scaling)))} | ${median(of.map((r) => r.step.p99Ms)).toFixed(1)} | ${median(of.map((r) => cpuPerCheck(r.step))).toFixed(2)} | ${percent(median(of.map((r) => r.share)))} | ${largest.items} (${largest.oldestSeconds.toFixed(1)}) |`;
    }),
  ].join('\n');
  return `${steps}\n\n${aggregator}\n\n${ceiling} Median: ${times(median(ceilings))}.\n\n${medians}`;
}
