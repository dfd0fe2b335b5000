// `npm run bench:scale -- [--workers 1,2] [--connections 16] [--duration 20] [--pool 8] [--out results]`
// How the service scales with WORKERS, against a database filled by `npm run generate` (same
// DATABASE_URL and secrets): for each worker count, a closed loop of recognition checks at
// `connections` per worker, reporting checks/s, p50/p99, the cores the service (all its processes)
// and PostgreSQL used, and the report aggregator's queue at the start and end of the step (bounded,
// or growing); then pgbench on the check's read at the same connection counts, in the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { DB } from '../src/db/schema.ts';
import { seededRandom } from '../src/demo/random.ts';
import { shuffled, token } from './bench/clients.ts';
import { capturedCandidateSql, machine, pgbenchScripts, readMeta } from './bench/database.ts';
import { closedLoop } from './bench/load.ts';
import { pgbench, startChild, type PgbenchResult } from './bench/processes.ts';
import { benchClientId, benchClientSecret, hospitals, keyFingerprint } from './bench/province.ts';
import { processTreeTicks, postgresTicks, tickMs } from './bench/scale-cpu.ts';
import { checkRequests, type Province, type Receiver } from './bench/workload.ts';
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

/** The aggregator's queue: entries waiting, and how old the oldest is. */
async function queue(db: Kysely<DB>) {
  const { rows } = await sql<{ items: number; oldest_ms: number | null }>`
    select (select count(*) from agg_pending)::int as items,
      (select ('x' || left(replace(coalesce(check_id, decision_id)::text, '-', ''), 12))::bit(48)::bigint
       from agg_pending order by id limit 1) as oldest_ms`.execute(db);
  const { items, oldest_ms } = rows[0];
  return { items, oldestSeconds: oldest_ms === null ? 0 : Math.max(0, (Date.now() - Number(oldest_ms)) / 1000) };
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
        const before = { service: processTreeTicks(pid), postgres: await postgresTicks(db), at: performance.now() };
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
          queueBefore: lagBefore,
          queueAfter: await queue(db),
        };
        log(JSON.stringify(step));
        steps.push(step);
      } finally {
        await app.stop();
      }
    }
    log('pgbench on the check’s read at the same connection counts…');
    const scripts = pgbenchScripts(await capturedCandidateSql(url));
    const variables = { npatients: Number(meta.patients), nrecent: province.recent.length };
    const limits: PgbenchResult[] = [];
    for (const workers of opts.workers) limits.push(await pgbench(url, scripts, opts.perWorker * workers, opts.duration, variables));
    const report = { startedAt: new Date().toISOString(), machine: await machine(db), data: meta, settings: opts, steps, pgbench: limits };
    mkdirSync(opts.out, { recursive: true });
    const file = join(opts.out, `bench-scale-${meta.results}-${report.startedAt.replace(/[:.]/g, '-')}`);
    const table = [
      '| workers | connections | checks/s | p50 ms | p99 ms | errors | service cores | PostgreSQL cores | queue at start → end (oldest s) | pgbench read, same connections |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
      ...steps.map(
        (s, i) =>
          `| ${s.workers} | ${s.connections} | ${s.checksPerSecond.toLocaleString('en')} | ${s.p50Ms.toFixed(1)} | ${s.p99Ms.toFixed(1)} | ${s.errors} | ${s.serviceCores} | ${s.postgresCores} | ${s.queueBefore.items} → ${s.queueAfter.items} (${s.queueAfter.oldestSeconds.toFixed(1)}) | ${Math.round(limits[i].tps).toLocaleString('en')} |`,
      ),
    ].join('\n');
    writeFileSync(`${file}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${file}.md`, `${table}\n`);
    process.stdout.write(`\n${table}\n\nWritten: ${file}.json, ${file}.md\n`);
  } finally {
    await db.destroy();
  }
}

await run('bench:scale failed', main);
