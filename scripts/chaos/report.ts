// The chaos run's outcome as one JSON document, the problems that fail it, and a text summary.
import type { Recovery } from './faults.ts';
import { kinds, percentile, type Kind, type KindTally, type Ledger, type Sample } from './ledger.ts';
import type { KindCheck, Verification } from './verify.ts';

export interface KindFigures extends Omit<KindTally, 'latencies'> {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface ChaosReport {
  startedAt: string;
  ok: boolean;
  problems: string[];
  command: string;
  options: {
    durationSeconds: number;
    restarts: number;
    connections: number;
    killBackends: boolean;
    idempotencyKeys: boolean;
    batchSize: number;
    patients: number;
    restartCommand: string;
  };
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; postgres: string; postgresSettings: string };
  service: {
    version: string;
    settings: string;
    logFile: string;
    diedDuringRun: string | null;
    exit: string;
    errorLogLines: number;
    errorLogSamples: string[];
    metrics: Record<string, number>;
  };
  setup: { hospitals: number; items: number; patients: number; preloadedResults: number };
  load: {
    seconds: number;
    kinds: Record<Kind, KindFigures>;
    transportCodes: Record<string, number>;
    malformed503: number;
    rejectedBatchItems: number;
    samples: { serverErrors: Sample[]; otherStatuses: Sample[]; transport: Sample[]; malformed503: Sample[] };
  };
  faults: Recovery[];
  /** min / median / max over the faults of each type, per kind and for all kinds together (ms). */
  recoverySummary: Record<string, Record<string, [number, number, number] | null>>;
  verification: Verification;
  final: { readyAfterMs: number | null; readyz: number; healthz: number };
}

export function loadFigures(ledger: Ledger): Record<Kind, KindFigures> {
  return Object.fromEntries(
    kinds.map((kind) => {
      const { latencies, ...rest } = ledger.tally[kind];
      const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
      return [
        kind,
        { ...rest, p50: round(percentile(latencies, 0.5)), p99: round(percentile(latencies, 0.99)), max: round(percentile(latencies, 1)) },
      ];
    }),
  ) as Record<Kind, KindFigures>;
}

export function recoverySummary(faults: Recovery[]): ChaosReport['recoverySummary'] {
  const summary: ChaosReport['recoverySummary'] = {};
  for (const type of new Set(faults.map((f) => f.type))) {
    const of = faults.filter((f) => f.type === type);
    const spread = (values: (number | null)[]): [number, number, number] | null => {
      if (values.length === 0 || values.includes(null)) return null;
      const sorted = (values as number[]).toSorted((a, b) => a - b);
      return [sorted[0], sorted[Math.floor((sorted.length - 1) / 2)], sorted[sorted.length - 1]];
    };
    summary[type] = Object.fromEntries([
      ...kinds.map((k) => [k, spread(of.map((f) => f.recoveryMs[k]))]),
      ['all', spread(of.map((f) => f.allKindsMs))],
    ]);
  }
  return summary;
}

/** Everything that fails the run; an empty list is a pass. */
export function problems(r: Omit<ChaosReport, 'ok' | 'problems'>): string[] {
  const found: string[] = [];
  const v = r.verification;
  for (const [name, check] of Object.entries({ results: v.results, checks: v.checks, decisions: v.decisions }) as [string, KindCheck][]) {
    if (check.lost > 0) found.push(`${check.lost} acknowledged ${name} lost (e.g. ${check.lostSamples.slice(0, 3).join(', ')})`);
    if (check.storedUnacknowledgedUnexplained > 0)
      found.push(`${check.storedUnacknowledgedUnexplained} ${name} stored that no answer and no failed attempt explains`);
  }
  if (r.service.diedDuringRun) found.push(`the service died during the run: ${r.service.diedDuringRun}`);
  for (const kind of kinds) {
    const k = r.load.kinds[kind];
    for (const [status, n] of Object.entries(k.statuses))
      found.push(`${n} ${kind} request(s) answered ${status}${Number(status) >= 500 ? ' (a 5xx other than 503 is a bug)' : ''}`);
    if (k.transportErrors > 0)
      found.push(`${k.transportErrors} ${kind} request(s) failed in transport (the service closed or refused the connection)`);
    if (k.hung > 0) found.push(`${k.hung} ${kind} request(s) got no answer within the client's bound`);
  }
  if (r.load.malformed503 > 0) found.push(`${r.load.malformed503} 503 answer(s) without Retry-After or application/problem+json`);
  if (r.load.rejectedBatchItems > 0)
    found.push(`${r.load.rejectedBatchItems} batch item(s) rejected: the load generator sent invalid results`);
  for (const f of r.faults) {
    const at = `${f.type} at ${(f.startedAtMs / 1000).toFixed(1)} s`;
    if (!f.ok) found.push(`${at} failed: ${f.detail}`);
    const stuck = kinds.filter((k) => f.recoveryMs[k] === null);
    if (stuck.length > 0) found.push(`${at}: no 2xx ${stuck.join(', ')} before the next fault or the end of the load`);
  }
  if (v.halfWritten.checksWithoutAudit > 0) found.push(`${v.halfWritten.checksWithoutAudit} stored check(s) without their audit event`);
  if (v.halfWritten.resultsWithoutVersion > 0)
    found.push(`${v.halfWritten.resultsWithoutVersion} stored result(s) without their first version`);
  const a = v.aggregates;
  if (!a.queueDrained) found.push(`the report aggregates' queue still held ${a.queued} entries 30 s after the load`);
  for (const [name, [log, counted]] of Object.entries({
    'check items': a.checkItems,
    recognitions: a.recognitions,
    declines: a.declines,
  })) {
    if (a.queueDrained && log !== counted) found.push(`the report aggregates count ${counted} ${name}, the log holds ${log}`);
  }
  if (r.final.readyz !== 200) found.push(`GET /readyz answered ${r.final.readyz} after the run`);
  return found;
}

const n = (v: number) => v.toLocaleString('en');
const ms = (v: number | null) => (v === null ? '–' : n(Math.round(v)));
const spread = (s: [number, number, number] | null | undefined) => (s ? `${ms(s[0])} / ${ms(s[1])} / ${ms(s[2])}` : '–');

export function summary(r: ChaosReport): string {
  const o = r.options;
  const lines = [
    `### Chaos run: ${o.restarts} restart(s)${o.killBackends ? ' and backend terminations' : ''} over ${o.durationSeconds} s, ${o.connections} connections` +
      `${o.idempotencyKeys ? '' : ', without Idempotency-Key'}`,
    '',
    `${r.startedAt} · ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB · Node ${r.machine.node} · ${r.machine.postgres} · service ${r.service.version} · restart: \`${o.restartCommand}\``,
    '',
    '| requests | sent | 2xx | of which replayed | 503 | 409 key in use | other status | transport error | no answer | retries | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...kinds.map((kind) => {
      const k = r.load.kinds[kind];
      const other = Object.values(k.statuses).reduce((a, b) => a + b, 0);
      return `| ${kind} | ${n(k.attempts)} | ${n(k.ok)} | ${n(k.replayed)} | ${n(k.unavailable)} | ${n(k.keyInUse)} | ${n(other)} | ${n(k.transportErrors)} | ${n(k.hung)} | ${n(k.retried)} | ${ms(k.p50)} | ${ms(k.p99)} | ${ms(k.max)} |`;
    }),
    '',
    '| writes | acknowledged | stored | lost | failed attempt, then acknowledged | failed, never acknowledged: stored / not | stored, unacknowledged: explained / unexplained |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...(['results', 'checks', 'decisions'] as const).map((name) => {
      const c = r.verification[name];
      return `| ${name} | ${n(c.acknowledged)} | ${n(c.stored)} | ${n(c.lost)} | ${n(c.retriedThenAcknowledged)} | ${n(c.failedNeverAcknowledged.stored)} / ${n(c.failedNeverAcknowledged.notStored)} | ${n(c.storedUnacknowledgedExplained)} / ${n(c.storedUnacknowledgedUnexplained)} |`;
    }),
    '',
    '| fault | at s | took s | server down ms | recovery ms: batch | put | check | decision | all kinds | all kinds after server back | 503s | 503s from / to ms | longest without a 2xx ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.faults.map((f) => {
      const down = f.serverDownAtMs !== null && f.serverBackAtMs !== null ? f.serverBackAtMs - f.serverDownAtMs : null;
      const afterBack = Object.values(f.afterServerBackMs).includes(null)
        ? null
        : Math.max(...(Object.values(f.afterServerBackMs) as number[]));
      return (
        `| ${f.type}${f.ok ? '' : ' (FAILED)'} | ${(f.startedAtMs / 1000).toFixed(1)} | ${((f.completedAtMs - f.startedAtMs) / 1000).toFixed(1)} | ${ms(down)} | ` +
        `${kinds.map((k) => ms(f.recoveryMs[k])).join(' | ')} | ${ms(f.allKindsMs)} | ${ms(afterBack)} | ${n(f.unavailableAnswers)} | ${ms(f.first503AfterMs)} / ${ms(f.last503AfterMs)} | ${ms(f.longestGapMs)} |`
      );
    }),
    '',
    'Recovery: from the end of the fault (the restart command returned) to the first 2xx of each kind; "after server back": from the first',
    'probe connection the server accepted after refusing one; 503s relative to the end of the fault.',
    ...Object.entries(r.recoverySummary).map(
      ([type, s]) =>
        `Recovery after ${type} (min / median / max ms): all kinds ${spread(s.all)}; ${kinds.map((k) => `${k} ${spread(s[k])}`).join('; ')}.`,
    ),
    `Aggregates: queue ${r.verification.aggregates.queueDrained ? 'drained' : `not drained (${r.verification.aggregates.queued})`}; check items ${r.verification.aggregates.checkItems.join(' = ')}, recognitions ${r.verification.aggregates.recognitions.join(' = ')}, declines ${r.verification.aggregates.declines.join(' = ')} (log = counted).`,
    `Service: ${r.service.diedDuringRun ? `DIED (${r.service.diedDuringRun})` : 'stayed up'}; ready again ${ms(r.final.readyAfterMs)} ms after the load; GET /readyz ${r.final.readyz}, /healthz ${r.final.healthz}; ${r.service.errorLogLines} error log line(s); ${r.service.exit}. Metrics: ${
      Object.entries(r.service.metrics)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '–'
    }.`,
    '',
    r.problems.length === 0
      ? 'No problems: every acknowledged write is stored.'
      : `PROBLEMS:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`,
  ];
  return `${lines.join('\n')}\n`;
}
