// `npm run bench:scale -- [--workers 1,2] [--connections 16] [--duration 20] [--pool 8] [--out results]`
// How the service scales with WORKERS, against a database filled by `npm run generate` (same
// DATABASE_URL and secrets): for each worker count, a closed loop of recognition checks at
// `connections` per worker, reporting checks/s, p50/p99, the cores the service (all its processes)
// and PostgreSQL (and this load generator) used, and the report aggregator's queue at the start and end of the step (bounded,
// or growing); then pgbench on the check's statements (its read; its read and write) at the same
// connection counts, in the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { DB } from '../src/db/schema.ts';
import { seededRandom } from '../src/demo/random.ts';
import { shuffled, token } from './bench/clients.ts';
import { capturedCandidateSql, capturedCheckWriteSql, machine, pgbenchScripts, readMeta } from './bench/database.ts';
import { closedLoop } from './bench/load.ts';
import { pgbench, startChild, type PgbenchResult } from './bench/processes.ts';
import { benchClientId, benchClientSecret, hospitals, keyFingerprint } from './bench/province.ts';
import { processTreeTicks, postgresTicks, tickMs } from './bench/scale-cpu.ts';
import { checkRequests, type Province, type Receiver } from './bench/workload.ts';
import { catchUp, queueLag } from '../src/modules/reports/index.ts';
import { run, UsageError } from './run.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '1,2' },
      connections: { type: 'string', default: '16' },
      duration: { type: 'string', default: '20' },
      pool: { type: 'string', default: '8' },
      out: { type: 'string', default: 'results' },
    },
    strict: true,
  });
  const workers = values.workers.split(',').map(Number);
  if (workers.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError('--workers takes positive integers, e.g. 1,2,4');
  return { workers, perWorker: Number(values.connections), duration: Number(values.duration), pool: Number(values.pool), out: values.out };
}

/** CPU time of process.cpuUsage (microseconds) in clock ticks. */
const clientTicks = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1000 / tickMs;

/** The aggregator's queue: entries waiting, and how old the oldest is. */
const queue = (db: Kysely<DB>) => queueLag(db, new Date());

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
    const steps = [];
    for (const workers of opts.workers) {
      log(`${workers} worker(s): starting…`);
      const app = await startChild(
        'src/server.ts',
        {
          DATABASE_URL: url,
          PATIENT_KEY_SECRET: secret,
          AUTH_SIGNING_KEY: process.env.AUTH_SIGNING_KEY ?? '',
          LOG_LEVEL: 'warn',
          WORKERS: String(workers),
          DATABASE_POOL_SIZE: String(opts.pool),
          ACCESS_TOKEN_TTL: '3600',
          DEMO_DATA: 'off',
          RATE_LIMIT_PER_ADDRESS: '10000000',
          RATE_LIMIT_PER_CLIENT: '10000000',
          RATE_LIMIT_TOKEN_PER_ADDRESS: '10000000',
        },
        '/readyz',
      );
      try {
        const random = seededRandom(Number(meta.seed) + workers);
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
        await closedLoop(app.origin, connections, 3, (i) => pool[i % pool.length], [201]);
        const lagBefore = await queue(db);
        const pid = app.process.pid!;
        const before = {
          service: processTreeTicks(pid),
          postgres: await postgresTicks(db),
          client: process.cpuUsage(),
          at: performance.now(),
        };
        const measured = await closedLoop(app.origin, connections, opts.duration, (i) => pool[(i * 7 + workers) % pool.length], [201]);
        const seconds = (performance.now() - before.at) / 1000;
        const cores = (ticks: number) => Math.round(((ticks * tickMs) / 1000 / seconds) * 100) / 100;
        const step = {
          workers,
          connections,
          checksPerSecond: Math.round(measured.throughput),
          p50Ms: measured.p50,
          p99Ms: measured.p99,
          errors: measured.errors,
          serviceCores: cores(processTreeTicks(pid) - before.service),
          postgresCores: cores((await postgresTicks(db)) - before.postgres),
          // The load generator (this process) shares the machine: on a small one it takes cores from both.
          clientCores: cores(clientTicks(process.cpuUsage(before.client))),
          queueBefore: lagBefore,
          queueAfter: await queue(db),
        };
        log(JSON.stringify(step));
        steps.push(step);
      } finally {
        await app.stop();
      }
    }
    // The check's own statements without the service: its read alone, then its read and its write (a
    // commit each, as the service's). The written checks are real rows, queued for the aggregator.
    log('pgbench on the check’s statements at the same connection counts…');
    const candidateSql = await capturedCandidateSql(url);
    const reads = pgbenchScripts(candidateSql);
    const checks = pgbenchScripts(candidateSql, await capturedCheckWriteSql(url));
    const variables = { npatients: Number(meta.patients), nrecent: province.recent.length };
    const limits: { read: PgbenchResult; check: PgbenchResult }[] = [];
    for (const workers of opts.workers) {
      const clients = opts.perWorker * workers;
      limits.push({
        read: await pgbench(url, reads, clients, opts.duration, variables),
        check: await pgbench(url, checks, clients, opts.duration, variables),
      });
    }
    // pgbench's checks wait in the aggregator's queue: counting them here measures the aggregator alone
    // (one drain, nothing else running), to set beside the rate the checks arrived at.
    const backlog = (await queue(db)).items;
    const drainStarted = performance.now();
    await catchUp(db);
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    const aggregator = { counted: backlog, seconds: Math.round(drainSeconds * 10) / 10, perSecond: Math.round(backlog / drainSeconds) };
    log(`the aggregator counted ${backlog} queued checks in ${aggregator.seconds} s: ${aggregator.perSecond} a second`);
    const report = {
      startedAt: new Date().toISOString(),
      machine: await machine(db),
      data: meta,
      settings: opts,
      steps,
      pgbench: limits,
      aggregator,
    };
    mkdirSync(opts.out, { recursive: true });
    const file = join(opts.out, `bench-scale-${meta.results}-${report.startedAt.replace(/[:.]/g, '-')}`);
    const table = [
      '| workers | connections | checks/s | p50 ms | p99 ms | errors | service cores | PostgreSQL cores | load generator cores | queue at start → end (oldest s) | pgbench read/s | pgbench read + write/s | service ÷ read + write |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
      ...steps.map((s, i) => {
        const { read, check } = limits[i];
        const share = `${Math.round((s.checksPerSecond / check.tps) * 100)}%`;
        return `| ${s.workers} | ${s.connections} | ${s.checksPerSecond.toLocaleString('en')} | ${s.p50Ms.toFixed(1)} | ${s.p99Ms.toFixed(1)} | ${s.errors} | ${s.serviceCores} | ${s.postgresCores} | ${s.clientCores} | ${s.queueBefore.items} → ${s.queueAfter.items} (${s.queueAfter.oldestSeconds.toFixed(1)}) | ${Math.round(read.tps).toLocaleString('en')} | ${Math.round(check.tps).toLocaleString('en')} | ${share} |`;
      }),
    ].join('\n');
    writeFileSync(`${file}.json`, `${JSON.stringify(report, null, 2)}\n`);
    const drained = `The aggregator alone (one drain) counted the ${aggregator.counted.toLocaleString('en')} checks pgbench queued in ${aggregator.seconds} s: ${aggregator.perSecond.toLocaleString('en')} a second.`;
    writeFileSync(`${file}.md`, `${table}\n\n${drained}\n`);
    process.stdout.write(`\n${table}\n\n${drained}\n\nWritten: ${file}.json, ${file}.md\n`);
  } finally {
    await db.destroy();
  }
}

await run('bench:scale failed', main);
