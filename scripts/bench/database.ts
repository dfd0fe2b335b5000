// What the benchmark reads from the database and runs against it besides the service: the
// generation's metadata, the candidate SQL for pgbench, the page-cache warm-up, the machine's facts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../../src/db/schema.ts';
import { createCheckStore } from '../../src/modules/recognition/index.ts';
import { createRegistrySnapshots } from '../../src/modules/registry/index.ts';
import { UsageError } from '../run.ts';
import { benchClientId, hospitals } from './province.ts';

export async function readMeta(db: Kysely<DB>): Promise<Record<string, string>> {
  const exists = (await sql<{ ok: boolean }>`select to_regclass('public.gen_meta') is not null as ok`.execute(db)).rows[0].ok;
  if (!exists) throw new UsageError('this database holds no generated province: run `npm run generate` against it first');
  const rows = (await sql<{ key: string; value: string }>`select key, value from gen_meta`.execute(db)).rows;
  const meta = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  if (meta.status !== 'complete') throw new UsageError('the generation of this database did not complete: run `npm run generate` again');
  meta.recentRows = String((await sql<{ n: number }>`select count(*)::int as n from gen_recent`.execute(db)).rows[0].n);
  return meta;
}

const patientSentinel = 'bench-patient-key-sentinel';

/**
 * The statement the service runs to load a check's facts (the candidate look-up with everything the
 * engine needs), as Kysely compiles it: captured by running it once, never copied by hand.
 * Parameters become pgbench expressions: the patient key a random generated patient's, the receiver a
 * random hospital, a time the same distance from now() as from the captured check's clock (the start
 * of the look-back stays the look-back's length before now); the requested items stay the three most
 * popular.
 */
export async function capturedCandidateSql(url: string): Promise<string> {
  let captured: { sql: string; parameters: readonly unknown[] } | null = null;
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
    // The statement that reads the patient's results (the registry is read once, before it).
    log: (event) =>
      void (/\bfrom results r\b/.test(event.query.sql) && (captured ??= { sql: event.query.sql, parameters: event.query.parameters })),
  });
  const now = new Date();
  try {
    // Executed through Kysely (not as a prepared statement) so its log sees the compiled SQL.
    const store = createCheckStore(db, async (_name, query) => (await db.executeQuery(query)).rows, createRegistrySnapshots(db));
    await store.loadFacts(hospitals[0].id, ['LAB-CBC', 'LAB-LFT', 'CT-CHEST'], patientSentinel, now);
  } finally {
    await db.destroy();
  }
  const { sql: text, parameters } = captured!;
  // A check's look-up is the batched statement over one patient (arrays of one element).
  const literal = (value: unknown): string => {
    if (value === patientSentinel) return ':patient_key';
    if (value === hospitals[0].id) return '(select id from gen_hospitals where num = :h)';
    if (value instanceof Date) return fromNow(now, value);
    if (Array.isArray(value)) return `array[${value.map(literal).join(',')}]`;
    return typeof value === 'number' ? String(value) : `'${String(value).replaceAll("'", "''")}'`;
  };
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(parameters[Number(n) - 1]));
}

/** A time of a captured statement as a pgbench expression: as far from now() as it was from the capture's clock. */
export function fromNow(clock: Date, at: Date): string {
  const before = clock.getTime() - at.getTime();
  return before === 0 ? 'now()' : `(now() - interval '${before} milliseconds')`;
}

/**
 * The statement the service runs to store a check (the check, its items and candidates, its audit
 * event and its place in the aggregator's queue), as Kysely compiles it for a typical check of the
 * mix: three items, one of them with a recognisable candidate. Captured by running it once in a
 * transaction that is rolled back. The check's id, which the service makes, becomes `uuid_v7()` in
 * the statement, so pgbench can run it again and again.
 */
export async function capturedCheckWriteSql(url: string): Promise<string> {
  let captured: { sql: string; parameters: readonly unknown[] } | null = null;
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
    log: (event) =>
      void (
        /insert into recognition_checks\b/.test(event.query.sql) &&
        (captured ??= { sql: event.query.sql, parameters: event.query.parameters })
      ),
  });
  const rolledBack = new Error('rolled back');
  let checkId = '';
  const now = new Date();
  try {
    const result = await db
      .selectFrom('results')
      .select(['id', 'issuing_hospital_id', 'patient_key'])
      .where('item_code', '=', 'CT-CHEST')
      .limit(1)
      .executeTakeFirstOrThrow();
    const candidate = {
      itemCode: 'CT-CHEST',
      resultId: result.id,
      issuingHospitalId: result.issuing_hospital_id,
      outcome: 'RECOGNIZABLE',
      retestPermitted: false,
      reasons: [],
      advisories: [],
      yuan: 380,
      minutes: 1440,
      radiationMsv: 7,
    };
    await db
      .transaction()
      .execute(async (tx) => {
        const store = createCheckStore(tx, async (_name, query) => (await tx.executeQuery(query)).rows, createRegistrySnapshots(tx));
        checkId = await store.record({
          origin: { sourceAddress: '127.0.0.1', requestId: 'bench-captured' },
          query: { items: ['LAB-CBC', 'LAB-LFT', 'CT-CHEST'] },
          receiverId: hospitals[0].id,
          clientId: benchClientId(hospitals[0].id),
          practitionerId: 'DR-BENCH',
          patientKey: result.patient_key,
          purpose: 'treatment',
          context: {},
          ruleSetVersion: 1,
          now,
          items: [
            { itemCode: 'LAB-CBC', hasRecognizable: false },
            { itemCode: 'LAB-LFT', hasRecognizable: false },
            { itemCode: 'CT-CHEST', hasRecognizable: true },
          ],
          candidates: [candidate],
        });
        throw rolledBack;
      })
      .catch((error: unknown) => {
        if (error !== rolledBack) throw error;
      });
  } finally {
    await db.destroy();
  }
  const { sql: statement, parameters } = captured!;
  // pgbench reads :name as a variable anywhere in a statement: colons inside the literals (the JSON's
  // times) are written as escapes.
  const text = (value: string) => `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''").replaceAll(':', '\\x3a')}'`;
  const literal = (value: unknown): string => {
    if (value instanceof Date) return fromNow(now, value);
    if (Array.isArray(value)) return `array[${value.map(literal).join(',')}]`;
    if (value === null || value === undefined) return 'null';
    return typeof value === 'number' ? String(value) : text(String(value));
  };
  // The JSON naming the check's id: a new id at each run.
  const fresh = (value: unknown) =>
    typeof value === 'string' && value.includes(checkId)
      ? `(${value
          .split(checkId)
          .map((part) => text(part))
          .join(' || uuid_v7()::text || ')})`
      : literal(value);
  return statement.replace(/\$(\d+)/g, (_, n: string) => fresh(parameters[Number(n) - 1]));
}

/**
 * Reads the results table and its indexes once, so that the page cache holds them as it would on a
 * server that has been answering checks for a while (a database just generated or restored is cold:
 * the candidate look-up then waits on the disk). pg_prewarm's 'read' mode fills the OS cache.
 */
export async function prewarmResults(db: Kysely<DB>, log: (line: string) => void): Promise<string> {
  log('loading the results table and its indexes into the OS page cache (pg_prewarm)…');
  try {
    await sql`create extension if not exists pg_prewarm`.execute(db);
    await sql`select pg_prewarm(oid, 'read') from pg_class
      where oid = 'results'::regclass or oid in (select indexrelid from pg_index where indrelid = 'results'::regclass)`.execute(db);
    return 'prewarmed (pg_prewarm)';
  } catch (error) {
    log(`  not prewarmed: ${error instanceof Error ? error.message : String(error)}`);
    return 'not prewarmed';
  }
}

/** pgbench scripts: half uniform patients, half returning patients, as the checks are drawn. */
export function pgbenchScripts(candidateSql: string, writeSql?: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'mre-pgbench-'));
  const query = (patient: string) => `${candidateSql.replaceAll(':patient_key', patient)};\n${writeSql ? `${writeSql};\n` : ''}`;
  const uniform = join(dir, 'uniform.sql');
  const returning = join(dir, 'returning.sql');
  const receiver = `\\set h random(0, ${hospitals.length - 1})\n`;
  writeFileSync(uniform, `${receiver}\\set p random(0, :npatients - 1)\n${query('(select patient_key from gen_patients where idx = :p)')}`);
  writeFileSync(
    returning,
    `${receiver}\\set n random(1, :nrecent)\n${query('(select p.patient_key from gen_recent g join gen_patients p on p.idx = g.idx where g.n = :n)')}`,
  );
  return [`${uniform}@1`, `${returning}@1`];
}

export async function machine(db: Kysely<DB>) {
  const version = (await sql<{ v: string }>`select version() as v`.execute(db)).rows[0].v;
  // The server settings that move these figures most: memory for pages, what a commit waits for, and
  // whether dead rows are vacuumed (the aggregator's queue turns over every second; a test server may run without).
  const { rows } = await sql<{ name: string; value: string }>`
    select name, case when unit = '8kB' then pg_size_pretty(setting::bigint * 8192) when unit = 'MB' then pg_size_pretty(setting::bigint * 1048576)
                      else setting || coalesce(unit, '') end as value
    from pg_settings
    where name in ('shared_buffers', 'huge_pages', 'max_wal_size', 'wal_compression', 'synchronous_commit', 'commit_delay', 'work_mem', 'autovacuum')
    order by name`.execute(db);
  const hugePages = hugePagesMapped();
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    postgres: version.split(' on ')[0],
    postgresSettings: [...rows.map((r) => `${r.name} ${r.value}`), ...(hugePages ? [hugePages] : [])].join(', '),
  };
}

/**
 * The machine's huge pages mapped (Linux): with `huge_pages` on or try, a local PostgreSQL whose shared
 * buffers found enough of them holds them all; none when it fell back to ordinary pages.
 */
function hugePagesMapped(): string | null {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    const pages = field('HugePages_Total') - field('HugePages_Free') + field('HugePages_Rsvd');
    return `huge pages mapped on this machine ${((pages * field('Hugepagesize')) / 2 ** 20).toFixed(1)} GB`;
  } catch {
    return null; // not Linux
  }
}

export async function sizes(db: Kysely<DB>): Promise<Record<string, string>> {
  const { rows } = await sql<{ t: string; s: string }>`
    select relname as t, pg_size_pretty(pg_total_relation_size(oid)) as s from pg_class
    where relname in ('results', 'recognition_checks', 'recognition_decisions', 'audit_events') and relkind = 'r'`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.t, r.s]));
}
