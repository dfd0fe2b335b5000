// `npm run generate -- --results N --patients M [--days 1095] [--decisions K] [--seed S] [--jobs 2]`
// Fills a dedicated PostgreSQL database (DATABASE_URL) with a generated province for the benchmark.
// The database is reset first, so it refuses any database holding data it did not generate.
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { DB } from '../src/db/schema.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { seededRandom } from '../src/demo/random.ts';
import { loadCatalogue } from '../src/demo/load.ts';
import { rebuildAggregates, vacuumAggregates } from '../src/modules/reports/index.ts';
import { withoutIndexes } from './bench/constraints.ts';
import { loadLog } from './bench/load-log.ts';
import { loadPatients, loadRegistry, resultCounts } from './bench/load-registry.ts';
import { loadResults, prepareGenerator } from './bench/load-results.ts';
import { hospitals, keyFingerprint } from './bench/province.ts';
import { run, UsageError } from './run.ts';

const logTables = ['recognition_checks', 'check_items', 'check_candidates', 'recognition_decisions', 'audit_events'];

function options() {
  const { values } = parseArgs({
    options: {
      results: { type: 'string' },
      patients: { type: 'string' },
      days: { type: 'string', default: '1095' },
      decisions: { type: 'string' },
      seed: { type: 'string', default: '20220301' },
      jobs: { type: 'string', default: '2' },
    },
    strict: true,
  });
  const int = (name: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min)
      throw new UsageError(`--${name} must be an integer >= ${min} (got ${value ?? 'nothing'})`);
    return n;
  };
  const results = int('results', values.results, 1);
  return {
    results,
    patients: int('patients', values.patients, 1),
    days: int('days', values.days, 1),
    decisions: values.decisions === undefined ? Math.round(results / 10) : int('decisions', values.decisions, 0),
    seed: int('seed', values.seed, 0),
    jobs: int('jobs', values.jobs, 1),
  };
}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`${name}…`);
  const value = await run();
  log(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return value;
}

async function main(): Promise<void> {
  const opts = options();
  if (!process.env.DATABASE_URL) {
    throw new UsageError(
      'DATABASE_URL is not set: the generator writes only to PostgreSQL, into a dedicated database (e.g. createdb mre_bench)',
    );
  }
  const config = loadConfig();
  const secret = config.patientKeySecret!;
  if (opts.decisions * 1.25 > opts.results)
    throw new UsageError('--decisions must be at most 80% of --results (each check samples a prior result)');
  const pool = new pg.Pool({
    connectionString: config.database.url!,
    max: opts.jobs + 1,
    // Bulk-load settings for these sessions only: big sorts for index builds, no wait on WAL flushes.
    options: '-c maintenance_work_mem=1GB -c work_mem=256MB -c synchronous_commit=off -c max_parallel_maintenance_workers=1',
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const started = performance.now();
  const now = new Date();
  try {
    await resetDatabase(db);
    // The marker first: an interrupted run leaves a database the next run may reset.
    await sql`create table gen_meta (key text primary key, value text not null)`.execute(db);
    await writeMeta(db, { status: 'incomplete' });
    await phase('migrate', () => migrateToLatest(db));
    await phase('registry', async () => {
      await loadCatalogue(db, now);
      return loadRegistry(db, now, secret);
    });
    const counts = resultCounts(opts.patients, opts.results, seededRandom(opts.seed));
    await phase('patients', async () => {
      await prepareGenerator(db);
      await loadPatients(db, counts, secret, log);
    });
    await phase('results', () =>
      withoutIndexes(
        db,
        ['results', 'result_accessions'],
        () => loadResults(db, { now, days: opts.days, seed: opts.seed, jobs: opts.jobs, counts, log }),
        log,
      ),
    );
    await phase('recent results sample', () => sampleRecent(db, now));
    const logCounts = await phase('recognition log', () =>
      withoutIndexesReturning(db, logTables, () =>
        loadLog(db, { now, seed: opts.seed, decisions: opts.decisions, results: opts.results, log }),
      ),
    );
    await phase('report aggregates', () => rebuildAggregates(db));
    await phase('vacuum analyze', async () => {
      for (const table of ['results', 'result_accessions', ...logTables, 'gen_patients', 'gen_recent'])
        await sql.raw(`vacuum (analyze) ${table}`).execute(db);
      await vacuumAggregates(db);
    });
    await writeMeta(db, { ...opts, generatedAt: now.toISOString(), keyFingerprint: keyFingerprint(secret), status: 'complete' });
    await printSummary(db, (performance.now() - started) / 1000, logCounts);
  } finally {
    await db.destroy();
  }
}

/** A database is reset only when it is empty or was made by this generator (it holds gen_meta). */
async function resetDatabase(db: Kysely<DB>): Promise<void> {
  const { rows } = await sql<{ registry: boolean; generated: boolean; name: string }>`
    select to_regclass('public.hospitals') is not null as registry, to_regclass('public.gen_meta') is not null as generated, current_database() as name`.execute(
    db,
  );
  const { registry, generated, name } = rows[0];
  if (registry && !generated) {
    const { rows: any } = await sql<{ n: number }>`select count(*)::int as n from (select 1 from hospitals limit 1) h`.execute(db);
    if (any[0].n > 0) {
      throw new UsageError(
        `database ${name} holds a registry the generator did not make; point DATABASE_URL at a dedicated database (createdb mre_bench)`,
      );
    }
  }
  await sql`drop schema if exists public cascade`.execute(db);
  await sql`create schema public`.execute(db);
}

async function withoutIndexesReturning<T>(db: Kysely<DB>, tables: string[], load: () => Promise<T>): Promise<T> {
  let value!: T;
  await withoutIndexes(db, tables, async () => void (value = await load()), log);
  return value;
}

/**
 * Patients with a final result in the last 30 days, and that result's item: the benchmark draws its
 * "returning patient" checks from here, so a realistic share of checks has recognisable candidates.
 */
async function sampleRecent(db: Kysely<DB>, now: Date): Promise<void> {
  await sql`create table gen_recent as
    select row_number() over () as n, x.idx, x.item_code
    from (select p.idx, r.item_code from results r join gen_patients p on p.patient_key = r.patient_key
          where r.performed_at >= ${now}::timestamptz - interval '30 days' and r.status = 'final' limit 200000) x`.execute(db);
  await sql`alter table gen_recent add primary key (n)`.execute(db);
}

async function writeMeta(db: Kysely<DB>, meta: Record<string, string | number>): Promise<void> {
  for (const [key, value] of Object.entries(meta)) {
    await sql`insert into gen_meta values (${key}, ${String(value)}) on conflict (key) do update set value = excluded.value`.execute(db);
  }
}

async function printSummary(db: Kysely<DB>, seconds: number, logCounts: { checks: number; decisions: number }): Promise<void> {
  const { rows } = await sql<{ table: string; rows: number; size: string }>`
    select c.relname as table, c.reltuples::bigint as rows, pg_size_pretty(pg_total_relation_size(c.oid)) as size
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and c.relname in ('results', 'recognition_checks', 'check_items', 'check_candidates', 'recognition_decisions', 'audit_events', 'gen_patients', 'gen_recent', 'agg_check_items', 'agg_decisions')
    order by pg_total_relation_size(c.oid) desc`.execute(db);
  const { rows: recognised } = await sql<{ n: number; yuan: number }>`
    select count(*)::int as n, coalesce(sum(yuan), 0)::float8 as yuan from recognition_decisions where action = 'recognized'`.execute(db);
  log('');
  log(
    `Generated in ${seconds.toFixed(1)} s: ${hospitals.length} hospitals, ${logCounts.checks.toLocaleString('en')} checks, ${logCounts.decisions.toLocaleString('en')} decisions (${recognised[0].n.toLocaleString('en')} recognitions, ¥${Math.round(recognised[0].yuan).toLocaleString('en')} saved)`,
  );
  for (const r of rows) log(`  ${r.table.padEnd(24)} ${Number(r.rows).toLocaleString('en').padStart(14)} rows  ${r.size.padStart(9)}`);
}

await run('generate failed', main);
