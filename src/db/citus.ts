import { sql, type Kysely } from 'kysely';

/**
 * Where each table goes on a Citus cluster, as far as today's schema carries it (docs/scaling.md says
 * why, and what the national deployment needs beyond it). `npm run migrate` applies it after migrating
 * when the `citus` extension is installed; every step is skipped when already done.
 */

/** The registry and the API clients: small, written rarely, joined with everything: a copy on every node. */
export const referenceTables = ['hospitals', 'items', 'scopes', 'rule_sets', 'code_maps', 'certification_events', 'clients'] as const;

/**
 * The distributed tables, in co-location groups; the first table of a group is its anchor. The check
 * log by check id: a check's items, candidates and decisions lie on its shard, and a decision (which
 * names its check) is routed to that one shard, with the audit events and queue entries of checks and
 * decisions (their route is the check's id; other audit events get a fresh one). Results and their versions by patient key: a check
 * reads one patient's results on one shard. The accession table by accession number: a submission
 * finds its result's place on one shard (by hospital alone, a large hospital would be a hot shard).
 * The answers kept for Idempotency-Key requests by client: a client's retry finds its answer on one shard.
 */
export const distributedTables = [
  { table: 'recognition_checks', column: 'id', group: 'check' },
  { table: 'check_items', column: 'check_id', group: 'check' },
  { table: 'check_candidates', column: 'check_id', group: 'check' },
  { table: 'recognition_decisions', column: 'check_id', group: 'check' },
  { table: 'audit_events', column: 'route', group: 'check' },
  { table: 'agg_pending', column: 'route', group: 'check' },
  { table: 'results', column: 'patient_key', group: 'patient' },
  { table: 'result_versions', column: 'patient_key', group: 'patient' },
  { table: 'result_accessions', column: 'accession_no', group: 'accession' },
  { table: 'idempotency_keys', column: 'client_id', group: 'client' },
] as const;

const aggregates = 'the report aggregates: written by the aggregator alone, read by the reports on the coordinator';
const webhooks =
  'the delivery worker claims due deliveries across endpoints with FOR UPDATE SKIP LOCKED, which Citus does not run across shards';
const registryVersions = "raised by the registry tables' trigger on the coordinator's copy, in the transaction that changes the registry";

/** Tables that stay on the coordinator for now, and why. Tables matching none of the lists stay there too. */
export const coordinatorTables: Record<string, string> = {
  registry_version: registryVersions,
  registry_table_versions: registryVersions,
  recalls: 'a few rows per amended result, written in the transaction of the change and listed per hospital',
  webhook_endpoints: webhooks,
  webhook_deliveries: webhooks,
  client_assertions: 'a few rows, read and written by the token endpoint alone',
  signing_keys: 'a few rows, read and written by the token endpoint alone',
  kysely_migration: "the migrator's own",
  kysely_migration_lock: "the migrator's own",
};

export interface CitusPlacement {
  reference: { table: string; created: boolean }[];
  distributed: { table: string; column: string; group: string; created: boolean }[];
  coordinator: { table: string; reason: string }[];
}

type Executor = Kysely<any>;

/** Whether the database has the citus extension. */
export async function citusInstalled(db: Executor): Promise<boolean> {
  const { rows } = await sql<{
    installed: boolean;
  }>`select exists (select 1 from pg_extension where extname = 'citus') as installed`.execute(db);
  return rows[0].installed;
}

/**
 * Citus runs a reference table's triggers on each of its copies, and on a copy `tg_table_name` carries
 * the shard's number. The registry version lives on the coordinator (group 0), in plain tables: only
 * the coordinator's copy raises it, in the same transaction; a write to a reference table always reaches
 * that copy, since every node holds one.
 */
const raiseRegistryVersionOnCitus = `create or replace function raise_registry_version() returns trigger language plpgsql as $$
    begin
      if (select groupid from pg_dist_local_group) <> 0 then
        return null;
      end if;
      update registry_version set version = version + 1;
      update registry_table_versions set version = version + 1 where table_name = regexp_replace(tg_table_name, '_[0-9]+$', '');
      return null;
    end $$`;

interface CitusTable {
  table: string;
  kind: 'reference' | 'distributed' | 'local';
  column: string | null;
}

async function citusTables(db: Executor): Promise<Map<string, CitusTable>> {
  const { rows } = await sql<{ table: string; method: string; replication: string; column: string | null }>`
    select c.relname as table, p.partmethod as method, p.repmodel as replication,
           case when p.partmethod = 'h' then column_to_column_name(p.logicalrelid, p.partkey) end as column
    from pg_dist_partition p join pg_class c on c.oid = p.logicalrelid
    where c.relnamespace = current_schema()::regnamespace`.execute(db);
  return new Map(
    rows.map((r) => [
      r.table,
      { table: r.table, kind: r.method === 'h' ? 'distributed' : r.replication === 't' ? 'reference' : 'local', column: r.column },
    ]),
  );
}

async function tablesOfSchema(db: Executor): Promise<string[]> {
  const { rows } = await sql<{ table: string }>`
    select relname as table from pg_class where relnamespace = current_schema()::regnamespace and relkind in ('r', 'p') order by relname`.execute(
    db,
  );
  return rows.map((r) => r.table);
}

/** Foreign keys from or to the given tables, to drop while they become reference tables and add again after. */
async function foreignKeysOf(db: Executor, tables: readonly string[]) {
  const { rows } = await sql<{ table: string; name: string; definition: string }>`
    select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as definition
    from pg_constraint
    where contype = 'f' and (conrelid::regclass::text = any(${tables}::text[]) or confrelid::regclass::text = any(${tables}::text[]))
    order by conrelid::regclass::text, conname`.execute(db);
  return rows;
}

/**
 * The triggers of each Citus table must be on every copy of it. A table Citus turned into a local table
 * of its metadata on its own (through a foreign key to a reference table) loses its statement triggers
 * without a word, and would then keep its copy on the coordinator without them: refuse that here.
 */
async function missingTriggers(db: Executor, tables: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const table of tables) {
    const { rows: own } = await sql<{ name: string }>`
      select tgname as name from pg_trigger where tgrelid = ${table}::regclass and not tgisinternal`.execute(db);
    if (own.length === 0) continue;
    const { rows: copies } = await sql<{ shardid: number; nodename: string; nodeport: number; success: boolean; result: string }>`
      select shardid, nodename, nodeport, success, result from run_command_on_placements(${table}::regclass,
        $$select coalesce(string_agg(regexp_replace(tgname, '_[0-9]+$', ''), ',' order by tgname), '') from pg_trigger where tgrelid = '%s'::regclass and not tgisinternal$$)`.execute(
      db,
    );
    for (const copy of copies) {
      const present = new Set(copy.success ? copy.result.split(',') : []);
      const absent = own.map((t) => t.name).filter((name) => !present.has(name));
      if (absent.length > 0)
        problems.push(`${table} (shard ${copy.shardid} on ${copy.nodename}:${copy.nodeport}) lacks ${absent.join(', ')}`);
    }
  }
  return problems;
}

/**
 * Places the tables on the cluster (see the lists above); running it again changes nothing. Must be
 * run on the coordinator, with the coordinator itself in the cluster's metadata.
 */
export async function distributeOnCitus(db: Executor): Promise<CitusPlacement> {
  if (!(await citusInstalled(db))) throw new Error('The citus extension is not installed in this database');
  return db.connection().execute(async (conn) => {
    const { rows: coordinator } = await sql<{ present: boolean }>`
      select exists (select 1 from pg_dist_node where groupid = 0) as present`.execute(conn);
    if (!coordinator[0].present) {
      throw new Error(
        "The coordinator is not in the cluster's metadata: run select citus_set_coordinator_host('<host>', <port>) on it first (reference tables need a copy there)",
      );
    }
    // Reference and distributed tables with triggers (row triggers that forbid changes, the registry's
    // statement triggers): every copy runs them, which suits them (docs/scaling.md).
    await sql`set citus.enable_unsafe_triggers = on`.execute(conn);
    try {
      return await place(conn);
    } finally {
      await sql`reset citus.enable_unsafe_triggers`.execute(conn);
    }
  });
}

/** Does the placing, on one connection that may create triggers on Citus tables. */
async function place(conn: Executor): Promise<CitusPlacement> {
  await sql.raw(raiseRegistryVersionOnCitus).execute(conn);

  let placed = await citusTables(conn);
  const wrong = [
    ...referenceTables.filter((t) => placed.has(t) && placed.get(t)!.kind !== 'reference'),
    ...distributedTables.filter(({ table, column }) => placed.has(table) && placed.get(table)!.column !== column).map((d) => d.table),
  ];
  if (wrong.length > 0) {
    throw new Error(
      `Already placed otherwise than planned: ${wrong.map((t) => `${t} (${placed.get(t)!.kind})`).join(', ')}; undistribute them (select undistribute_table('<table>', cascade_via_foreign_keys => true)) and run again`,
    );
  }

  const newReferences = referenceTables.filter((t) => !placed.has(t));
  if (newReferences.length > 0) {
    // With a foreign key between a reference table and a plain one, Citus would turn the plain one
    // into a local table of its metadata on its own (and drop its statement triggers): the keys go
    // while the tables are copied, and come back between reference tables.
    await conn.transaction().execute(async (trx) => {
      const keys = await foreignKeysOf(trx, newReferences);
      for (const key of keys) await sql`alter table ${sql.table(key.table)} drop constraint ${sql.id(key.name)}`.execute(trx);
      for (const table of newReferences) await sql`select create_reference_table(${table})`.execute(trx);
      for (const key of keys) {
        await sql`alter table ${sql.table(key.table)} add constraint ${sql.id(key.name)} ${sql.raw(key.definition)}`.execute(trx);
      }
    });
  }

  const newDistributed = distributedTables.filter(({ table }) => !placed.has(table));
  if (newDistributed.length > 0) {
    await conn.transaction().execute(async (trx) => {
      for (const { table, column, group } of newDistributed) {
        const anchor = distributedTables.find((d) => d.group === group)!.table;
        const colocateWith = table === anchor ? 'none' : anchor;
        await sql`select create_distributed_table(${table}, ${column}, colocate_with => ${colocateWith})`.execute(trx);
      }
    });
  }

  // Rows that were there before are copied to the shards; their local copy is removed.
  for (const table of [...newReferences, ...newDistributed.map((d) => d.table)]) {
    await sql`select truncate_local_data_after_distributing_table(${table})`.execute(conn);
  }

  placed = await citusTables(conn);
  const problems = await missingTriggers(conn, [...placed.keys()]);
  if (problems.length > 0) throw new Error(`Triggers missing on some copies: ${problems.join('; ')}`);

  const planned = new Set<string>([...referenceTables, ...distributedTables.map((d) => d.table)]);
  return {
    reference: referenceTables.map((table) => ({ table, created: newReferences.includes(table) })),
    distributed: distributedTables.map(({ table, column, group }) => ({
      table,
      column,
      group,
      created: newDistributed.some((d) => d.table === table),
    })),
    coordinator: (await tablesOfSchema(conn))
      .filter((table) => !planned.has(table))
      .map((table) => ({
        table,
        reason:
          coordinatorTables[table] ?? (table.startsWith('agg_') ? aggregates : 'not placed by this version: stays on the coordinator'),
      })),
  };
}

const groupNames: Record<(typeof distributedTables)[number]['group'], string> = {
  check: 'check id',
  patient: 'patient key',
  accession: 'accession number',
  client: 'client id',
};

/** What `distributeOnCitus` did, as lines for a person ("(now)": placed by this run). */
export function describePlacement(placement: CitusPlacement): string {
  const list = (rows: { table: string; created: boolean }[]) => rows.map((r) => `${r.table}${r.created ? ' (now)' : ''}`).join(', ');
  const byReason = new Map<string, string[]>();
  for (const { table, reason } of placement.coordinator) byReason.set(reason, [...(byReason.get(reason) ?? []), table]);
  return [
    `Citus: reference tables (a copy on every node): ${list(placement.reference)}`,
    ...Object.entries(groupNames).map(
      ([group, name]) =>
        `Citus: distributed, co-located by ${name}: ${list(
          placement.distributed.filter((d) => d.group === group).map((d) => ({ table: `${d.table}.${d.column}`, created: d.created })),
        )}`,
    ),
    'Citus: left on the coordinator:',
    ...[...byReason].map(([reason, tables]) => `  ${tables.join(', ')}: ${reason}`),
    '',
  ].join('\n');
}
