// `npm run bench:scale -- [--workers 1,2] [--repeat 1] [--connections 16] [--rate N] [--duration 20] [--warmup 30] [--pool 8] [--node-options='…'] [--out results]`
// How the service scales with WORKERS, against a database filled by `npm run generate` (same
// DATABASE_URL and secrets): for each worker count, after `--warmup` seconds of the same load (each
// worker compiles and tunes its own code and heap, and one of several sees only its share of the
// warm-up's requests: docs/performance.md, Round 17), a closed loop of recognition checks at
// `connections` per worker, reporting checks/s, p50/p99, the cores the service (all its processes)
// and PostgreSQL (and this load generator) used, what the service's connections were doing (on a core,
// waiting for the WAL, for a lock, for something else, idle), and the report aggregator's queue at the
// start and end of the step (bounded, or growing); then pgbench on the check's statements (its read; its read and write) at the same
// connection counts, in the same run. Each step also says how many kilobytes of WAL a check wrote and
// how many checks shared a WAL flush. `--repeat N` runs that series N times in turn (1, 2, 1, 2, …),
// so that a machine whose speed drifts weighs on every worker count alike, and adds the medians.
// `--rate N` sends the checks at N a second per worker (an open loop) instead of as fast as the
// connections allow: two versions of the code then share the same statements, and their service CPU a
// check compares them on a machine whose speed drifts. `--node-options='…'` passes Node's own flags to
// the service's processes (its workers inherit them; the `=` because the flags start with a dash), e.g.
// `--node-options='--max-semi-space-size=64'` to try a heap setting, or
// `--node-options='--cpu-prof --cpu-prof-dir=prof'` to profile every worker; the report records them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { DB } from '../src/db/schema.ts';
import { seededRandom } from '../src/demo/random.ts';
import { shuffled, token } from './bench/clients.ts';
import { capturedCandidateSql, capturedCheckWriteSql, machine, pgbenchScripts, readMeta } from './bench/database.ts';
import { closedLoop, openLoop } from './bench/load.ts';
import { benchServiceEnv, pgbench, startChild } from './bench/processes.ts';
import { scaleTables, type ScaleRound, type ScaleStep } from './bench/scale-report.ts';
import { benchClientId, benchClientSecret, hospitals, keyFingerprint } from './bench/province.ts';
import { backendTicksSince, machineTicks, postgresBackends, processTree, tickMs, treeSwitches, treeTicks } from './bench/scale-cpu.ts';
import { sampleBackends, walPerCheck, walSoFar } from './bench/scale-waits.ts';
import { checkRequests, type Province, type Receiver } from './bench/workload.ts';
import { catchUp, queueLag } from '../src/modules/reports/index.ts';
import { run, UsageError } from './run.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '1,2' },
      repeat: { type: 'string', default: '1' },
      connections: { type: 'string', default: '16' },
      rate: { type: 'string' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '30' },
      pool: { type: 'string', default: '8' },
      'node-options': { type: 'string', default: '' },
      out: { type: 'string', default: 'results' },
    },
    strict: true,
  });
  const workers = values.workers.split(',').map(Number);
  if (workers.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError('--workers takes positive integers, e.g. 1,2,4');
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError('--repeat takes a positive integer');
  const warmup = Number(values.warmup);
  if (!(Number.isFinite(warmup) && warmup >= 0)) throw new UsageError('--warmup takes seconds, e.g. 30');
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(Number.isInteger(rate) && rate > 0))
    throw new UsageError('--rate takes checks a second per worker, e.g. 800');
  const nodeOptions = values['node-options'].split(/\s+/).filter(Boolean);
  if (nodeOptions.some((flag) => !flag.startsWith('-')))
    throw new UsageError("--node-options takes Node's own flags, e.g. --node-options='--max-semi-space-size=64'");
  return {
    workers,
    repeat,
    perWorker: Number(values.connections),
    rate,
    duration: Number(values.duration),
    warmup,
    pool: Number(values.pool),
    nodeOptions,
    out: values.out,
  };
}

/** CPU time of process.cpuUsage (microseconds) in clock ticks. */
const clientTicks = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1000 / tickMs;

/** The aggregator's queue: entries waiting, and how old the oldest is. */
const queue = (db: Kysely<DB>) => queueLag(db, new Date());

type Options = ReturnType<typeof options>;

interface Run {
  opts: Options;
  db: Kysely<DB>;
  url: string;
  secret: string;
  seed: number;
  province: Province;
}

/** The service with `workers` workers under a closed loop of checks (an open loop with --rate): one row of the table. */
async function measureStep({ opts, db, url, secret, seed, province }: Run, workers: number, round: number): Promise<ScaleStep> {
  log(`run ${round}, ${workers} worker(s): starting…`);
  const app = await startChild(
    'src/server.ts',
    { ...benchServiceEnv(url, secret, opts.pool, 'warn'), WORKERS: String(workers) },
    '/readyz',
    opts.nodeOptions,
  );
  try {
    const random = seededRandom(seed + workers + 1000 * (round - 1));
    const receivers: Receiver[] = await Promise.all(
      shuffled(hospitals, random)
        .slice(0, 24)
        .map(async (h) => ({
          hospitalId: h.id,
          authorization: `Bearer ${await token(app.origin, benchClientId(h.id), benchClientSecret(secret))}`,
        })),
    );
    const pool = checkRequests(random, province, receivers, 20_000);
    const connections = opts.perWorker * workers;
    if (opts.warmup > 0) await closedLoop(app.origin, connections, opts.warmup, (i) => pool[i % pool.length], [201]);
    const lagBefore = await queue(db);
    const pid = app.process.pid!;
    const serviceBefore = processTree(pid);
    const before = {
      service: treeTicks(serviceBefore),
      switches: treeSwitches(serviceBefore),
      postgres: await postgresBackends(db),
      client: process.cpuUsage(),
      machine: machineTicks(),
      at: performance.now(),
    };
    const next = (i: number) => pool[(i * 7 + workers) % pool.length];
    const backends = await sampleBackends(url);
    const walBefore = await walSoFar(db);
    const measured = opts.rate
      ? await openLoop(app.origin, opts.rate * workers, opts.duration, next, [201])
      : await closedLoop(app.origin, connections, opts.duration, next, [201]);
    const seconds = (performance.now() - before.at) / 1000;
    const postgresConnections = await backends.stop();
    const wal = walPerCheck(walBefore, await walSoFar(db), measured.requests);
    const serviceAfter = processTree(pid);
    const switches = treeSwitches(serviceAfter);
    const perCheck = (n: number) => Math.round((n / measured.requests) * 100) / 100;
    const cores = (ticks: number) => Math.round(((ticks * tickMs) / 1000 / seconds) * 100) / 100;
    const step: ScaleStep = {
      round,
      workers,
      connections,
      ...(opts.rate && { rate: opts.rate * workers }),
      checksPerSecond: Math.round(measured.throughput),
      p50Ms: measured.p50,
      p99Ms: measured.p99,
      errors: measured.errors,
      serviceCores: cores(treeTicks(serviceAfter) - before.service),
      serviceSwitches: {
        voluntaryPerCheck: perCheck(switches.voluntary - before.switches.voluntary),
        involuntaryPerCheck: perCheck(switches.involuntary - before.switches.involuntary),
      },
      postgresCores: cores(backendTicksSince(before.postgres, await postgresBackends(db))),
      // The load generator (this process) shares the machine: on a small one it takes cores from both.
      clientCores: cores(clientTicks(process.cpuUsage(before.client))),
      machineCores: cores(machineTicks() - before.machine),
      machineCpus: cpus().length,
      postgresConnections,
      wal,
      queueBefore: lagBefore,
      queueAfter: await queue(db),
    };
    log(JSON.stringify({ ...step, errorSamples: measured.errorSamples }));
    return step;
  } finally {
    await app.stop();
  }
}

async function main() {
  const opts = options();
  if (!process.env.DATABASE_URL)
    throw new UsageError('DATABASE_URL is not set: the benchmark runs against PostgreSQL filled by `npm run generate`');
  const config = loadConfig();
  const url = config.database.url!;
  const secret = config.patientKeySecret!;
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
  try {
    const meta = await readMeta(db);
    if (meta.keyFingerprint !== keyFingerprint(secret))
      throw new UsageError('PATIENT_KEY_SECRET differs from the one the data was generated with');
    const province: Province = {
      patients: Number(meta.patients),
      recent: (
        await sql<{ idx: number; item_code: string }>`select idx, item_code from gen_recent order by n limit 20000`.execute(db)
      ).rows.map((r) => ({ idx: r.idx, itemCode: r.item_code })),
    };
    const bench: Run = { opts, db, url, secret, seed: Number(meta.seed), province };
    // The check's own statements without the service: its read alone, then its read and its write (a
    // commit each, as the service's). The written checks are real rows, queued for the aggregator.
    const candidateSql = await capturedCandidateSql(url);
    const reads = pgbenchScripts(candidateSql);
    const checks = pgbenchScripts(candidateSql, await capturedCheckWriteSql(url));
    const variables = { npatients: Number(meta.patients), nrecent: province.recent.length };
    const rounds: ScaleRound[] = [];
    for (let round = 1; round <= opts.repeat; round++) {
      const steps: ScaleStep[] = [];
      for (const workers of opts.workers) steps.push(await measureStep(bench, workers, round));
      log(`run ${round}: pgbench on the check’s statements at the same connection counts…`);
      const limits: ScaleRound['pgbench'] = [];
      for (const workers of opts.workers) {
        const clients = opts.perWorker * workers;
        limits.push({
          read: await pgbench(url, reads, clients, opts.duration, variables),
          check: await pgbench(url, checks, clients, opts.duration, variables),
        });
      }
      // pgbench's checks wait in the aggregator's queue: counting them here measures the aggregator
      // alone (one drain, nothing else running), to set beside the rate the checks arrived at, and
      // leaves the next run's first step no backlog to count.
      const backlog = (await queue(db)).items;
      const drainStarted = performance.now();
      await catchUp(db);
      const seconds = (performance.now() - drainStarted) / 1000;
      const aggregator = { counted: backlog, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(backlog / seconds) };
      log(`run ${round}: the aggregator counted ${backlog} queued checks in ${aggregator.seconds} s: ${aggregator.perSecond} a second`);
      rounds.push({ steps, pgbench: limits, aggregator });
    }
    const report = {
      startedAt: new Date().toISOString(),
      machine: await machine(db),
      data: meta,
      settings: opts,
      rounds,
    };
    mkdirSync(opts.out, { recursive: true });
    const file = join(opts.out, `bench-scale-${meta.results}-${report.startedAt.replace(/[:.]/g, '-')}`);
    const tables = scaleTables(rounds);
    writeFileSync(`${file}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${file}.md`, `${tables}\n`);
    process.stdout.write(`\n${tables}\n\nWritten: ${file}.json, ${file}.md\n`);
  } finally {
    await db.destroy();
  }
}

await run('bench:scale failed', main);
