import { describe, expect, it } from 'vitest';
import type { PgbenchResult } from '../../scripts/bench/processes.ts';
import { median, scaleTables, type ScaleRound } from '../../scripts/bench/scale-report.ts';

const pgbench = (tps: number): PgbenchResult => ({ clients: 16, mode: 'prepared', tps, latencyAvgMs: 1, transactions: 1, failed: 0 });

function round(
  run: number,
  [one, two]: [number, number],
  [checkOne, checkTwo]: [number, number],
  queueEnd = 100,
  firstBusy = 1.6,
): ScaleRound {
  const step = (workers: number, checksPerSecond: number) => ({
    round: run,
    workers,
    connections: 16 * workers,
    checksPerSecond,
    p50Ms: 10,
    p99Ms: 40 + run,
    errors: 0,
    serviceCores: 1,
    serviceSwitches: { voluntaryPerCheck: 1.5, involuntaryPerCheck: workers * 0.125 },
    postgresCores: 0.5,
    clientCores: 0.2,
    machineCores: workers === 1 ? firstBusy : 1.9,
    machineCpus: 2,
    postgresConnections: { samples: 900, cpu: 0.5, wal: 0.25, lock: 0, other: 0.05, idle: 15.2 },
    wal: { kilobytesPerCheck: 3.62, checksPerFlush: 5.83 },
    queueBefore: { items: 0, oldestSeconds: 0 },
    queueAfter: { items: queueEnd * workers, oldestSeconds: run / 10 },
  });
  return {
    steps: [step(1, one), step(2, two)],
    pgbench: [
      { read: pgbench(5000), check: pgbench(checkOne) },
      { read: pgbench(4000), check: pgbench(checkTwo) },
    ],
    aggregator: { counted: 60_000, seconds: 3, perSecond: 20_000 },
  };
}

describe('bench:scale tables', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('gives each step its ratio to its own run’s first step and to pgbench at its connections', () => {
    const table = scaleTables([round(1, [1000, 1500], [2000, 3000])]);
    expect(table).toContain('| 1 | 2 | 32 | 1,500 | 1.50× |');
    expect(table).toContain('| 0 | 1 | 0.67 | 1.50 · 0.25 | 0.5 |'); // one core over 1,500 checks a second: 0.67 ms of service CPU a check
    expect(table).toContain('| 0.2 | 1.6 (2) | 0.50 · 0.25 · 0.00 · 0.05 · 15.20 | 3.6 | 5.8 | 0 → 100 (0.1) |');
    expect(table).toContain('| 0.2 | 1.9 (2) | 0.50 · 0.25 · 0.00 · 0.05 · 15.20 | 3.6 | 5.8 | 0 → 200 (0.1) |');
    expect(table).toContain('| 5,000 | 2,000 | 50% |');
    expect(table).toContain('counting the checks pgbench queued: 60,000 in 3 s, 20,000 a second.');
    // Two CPUs, 1.6 cores busy at the first step: no later step can pass 1.25 times its rate without a cheaper check.
    expect(table).toContain('over the cores the first step kept busy): 1.25×.');
    expect(table).not.toContain('Medians');
  });

  it('names an open loop’s rate where a closed loop has its connections', () => {
    const open = round(1, [800, 1600], [2000, 3000]);
    open.steps = open.steps.map((step) => ({ ...step, rate: 800 * step.workers }));
    expect(scaleTables([open])).toContain('| 1 | 2 | open, 1,600/s | 1,600 | 2.00× |');
  });

  it('takes the ratios within each run before the medians across runs', () => {
    // Run 2's machine is twice as fast: its ratio is the same; the medians' own ratio (1,400 ÷ 1,200) would understate it.
    const table = scaleTables([
      round(1, [1000, 1400], [2000, 2000]),
      round(2, [2000, 2800], [4000, 4000], 300, 1.25),
      round(3, [1200, 1200], [2000, 2400], 100, 2),
    ]);
    expect(table).toContain('kept busy): 1.25×, 1.60×, 1.00×. Median: 1.25×.');
    const medians = table.slice(table.indexOf('Medians over 3 runs'));
    expect(medians).toContain('| 2 | 1,400 | 1.40× | 42.0 | 0.71 | 70% | 600 (0.2) |');
    expect(medians).toContain('| 1 | 1,200 | 1.00× |');
  });
});
