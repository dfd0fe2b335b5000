// The benchmark's outcome as one JSON document and a Markdown rendering of it.
import type { CatchUp } from './aggregates.ts';
import type { CpuShare } from './cpu.ts';
import type { Measurement } from './load.ts';
import type { PgbenchResult } from './processes.ts';

export interface BenchReport {
  startedAt: string;
  quick: boolean;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; postgres: string; postgresSettings: string };
  /** 1/5/15-minute load averages: other work on the machine skews every figure. */
  loadAverage: { before: number[]; after: number[] };
  data: Record<string, string>;
  sizes: Record<string, string>;
  settings: {
    logLevel: string;
    poolSize: number;
    lookbackDays: number;
    preparedStatements: boolean;
    serviceEnv: string;
    prewarmed: string;
  };
  checks: (Measurement & { connections: number; cpu: CpuShare | null })[];
  /** `catchUp`: the aggregator's backlog counted before the phase began. */
  fixedRate: (Measurement & { rate: number; lateStarts: number; catchUp: CatchUp })[];
  recognisableShare: { checks: number; checkItems: number; itemsWithRecognisable: number };
  decisions: (Measurement & { decisionsPerSecond: number; decisions: number }) | null;
  ingest: (Measurement & { connections: number; resultsPerSecond: number; batchSize: number; batches: number })[];
  reports: (Measurement & { name: string })[];
  limits: { pgbench: PgbenchResult[]; emptyRoute: (Measurement & { connections: number; cpu: CpuShare | null })[] };
  errors: number;
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '–');
const n = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en') : '–');
const cpu = (c: CpuShare | null) => (c ? `${c.serviceMs.toFixed(2)} · ${c.postgresMs.toFixed(2)} · ${c.loadGeneratorMs.toFixed(2)}` : '–');
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');

export function markdown(r: BenchReport): string {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push(
    `### ${r.data.results ?? '?'} results, ${r.data.patients ?? '?'} patients, ${r.data.decisions ?? '?'} decisions${r.quick ? ' (quick)' : ''}`,
    '',
    `${r.startedAt} · ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB · Node ${r.machine.node} · ${r.machine.postgres} (${r.machine.postgresSettings}) · ` +
      `${r.durationSeconds} s per phase · LOG_LEVEL=${r.settings.logLevel} · pool ${r.settings.poolSize} · look-back ${r.settings.lookbackDays} days · ` +
      (r.settings.serviceEnv ? `service env ${r.settings.serviceEnv} · ` : '') +
      (r.settings.preparedStatements ? 'EXPERIMENT: every statement prepared · ' : '') +
      `results table ${r.settings.prewarmed} · ` +
      `size of results ${r.sizes.results ?? '?'} · load average before ${r.loadAverage.before.map((l) => l.toFixed(1)).join('/')}, after ${r.loadAverage.after.map((l) => l.toFixed(1)).join('/')}`,
    '',
    '| recognition checks | checks/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | ÷ pgbench (candidate SQL) | ÷ empty route | CPU ms/check: service · PostgreSQL · load generator |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const c of r.checks) {
    const pg = r.limits.pgbench.find((p) => p.clients === c.connections && p.mode === 'prepared');
    const empty = r.limits.emptyRoute.find((e) => e.connections === c.connections);
    push(
      `| ${c.connections} connections | ${n(c.throughput)} | ${ms(c.p50)} | ${ms(c.p90)} | ${ms(c.p99)} | ${ms(c.p999)} | ${c.errors} | ${pg ? pct(c.throughput / pg.tps) : '–'} | ${empty ? pct(c.throughput / empty.throughput) : '–'} | ${cpu(c.cpu)} |`,
    );
  }
  for (const f of r.fixedRate) {
    push(
      `| open loop at ${f.rate}/s | ${n(f.throughput)} | ${ms(f.p50)} | ${ms(f.p90)} | ${ms(f.p99)} | ${ms(f.p999)} | ${f.errors} | | | |`,
    );
  }
  const share = r.recognisableShare;
  push('');
  if (r.fixedRate.length > 0) {
    const waits = r.fixedRate.map((f) => `${n(f.catchUp.entries)} entries in ${f.catchUp.seconds.toFixed(1)} s`).join(', ');
    push(`Each open-loop phase began once the report aggregates' queue was empty (counted first: ${waits}).`, '');
  }
  push(
    `Check items with a recognisable candidate: ${pct(share.itemsWithRecognisable / share.checkItems)} of ${n(share.checkItems)} items in ${n(share.checks)} checks.`,
    '',
    '| writes | per second | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|',
  );
  const d = r.decisions;
  if (d)
    push(
      `| decisions (${n(d.decisions)} in ${n(d.requests)} requests, 16 connections) | ${n(d.decisionsPerSecond)} | ${ms(d.p50)} | ${ms(d.p99)} | ${d.errors} |`,
    );
  for (const g of r.ingest) {
    push(
      `| batch ingest, results (${g.batches} × ${g.batchSize}, ${g.connections} connections) | ${n(g.resultsPerSecond)} | ${ms(g.p50)} | ${ms(g.p99)} | ${g.errors} |`,
    );
  }
  push('', '| report (administrator, whole province) | requests | p50 ms | p95 ms | max ms | errors |', '|---|---:|---:|---:|---:|---:|');
  for (const rep of r.reports) push(`| ${rep.name} | ${rep.requests} | ${ms(rep.p50)} | ${ms(rep.p95)} | ${ms(rep.max)} | ${rep.errors} |`);
  push('', '| limits | connections | per second | latency |', '|---|---:|---:|---:|');
  for (const p of r.limits.pgbench)
    push(
      `| pgbench, candidate SQL (${p.mode === 'prepared' ? 'prepared' : 'unprepared: planned on every execution'}) | ${p.clients} | ${n(p.tps)} | avg ${ms(p.latencyAvgMs)} ms |`,
    );
  for (const e of r.limits.emptyRoute)
    push(
      `| empty Fastify route | ${e.connections} | ${n(e.throughput)} | p50 ${ms(e.p50)} ms, p99 ${ms(e.p99)} ms; CPU ms/request ${cpu(e.cpu)} |`,
    );
  return `${lines.join('\n')}\n`;
}
