// Bulk loading without per-row index maintenance and foreign-key triggers: drop the indexes and
// key constraints of some tables, load, then recreate them set-based (one sort per index, one
// anti-join per foreign key). Reads the definitions from the catalogue, so indexes that later
// migrations add are handled too. CHECK constraints stay: they are cheap and guard the data.
import { sql, type Kysely } from 'kysely';

interface Definition {
  table: string;
  name: string;
  ddl: string;
  kind: 'key' | 'index' | 'foreign';
}

export async function withoutIndexes(
  db: Kysely<any>,
  tables: string[],
  load: () => Promise<void>,
  log: (line: string) => void,
): Promise<void> {
  const { rows: constraints } = await sql<{ table: string; name: string; type: string; def: string }>`
    select c.conrelid::regclass::text as table, c.conname as name, c.contype as type, pg_get_constraintdef(c.oid) as def
    from pg_constraint c
    where c.contype in ('p', 'u', 'f')
      and (c.conrelid::regclass::text = any(${tables}) or (c.contype = 'f' and c.confrelid::regclass::text = any(${tables})))`.execute(db);
  const { rows: indexes } = await sql<{ table: string; name: string; def: string }>`
    select i.tablename as table, i.indexname as name, i.indexdef as def
    from pg_indexes i
    where i.schemaname = 'public' and i.tablename = any(${tables})
      and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.indexname))::regclass and c.contype in ('p', 'u', 'x'))`.execute(
    db,
  );
  const definitions: Definition[] = [
    ...constraints
      .filter((c) => c.type !== 'f')
      .map((c) => ({
        table: c.table,
        name: c.name,
        kind: 'key' as const,
        ddl: `alter table ${c.table} add constraint ${c.name} ${c.def}`,
      })),
    ...indexes.map((i) => ({ table: i.table, name: i.name, kind: 'index' as const, ddl: i.def })),
    ...constraints
      .filter((c) => c.type === 'f')
      .map((c) => ({
        table: c.table,
        name: c.name,
        kind: 'foreign' as const,
        ddl: `alter table ${c.table} add constraint ${c.name} ${c.def}`,
      })),
  ];
  // Keep the definitions in the database until they are restored, so an interrupted load can be repaired by hand.
  await sql`create table if not exists gen_dropped_ddl (position serial primary key, ddl text not null)`.execute(db);
  for (const d of definitions) await sql`insert into gen_dropped_ddl (ddl) values (${d.ddl})`.execute(db);
  for (const d of [...definitions].reverse()) {
    if (d.kind === 'index') await sql.raw(`drop index ${d.name}`).execute(db);
    else await sql.raw(`alter table ${d.table} drop constraint ${d.name}`).execute(db);
  }
  await load();
  for (const d of definitions) {
    const started = performance.now();
    await sql.raw(d.ddl).execute(db);
    log(
      `  rebuilt ${d.kind === 'foreign' ? 'foreign key' : d.kind === 'key' ? 'key' : 'index'} ${d.name} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  await sql`drop table gen_dropped_ddl`.execute(db);
}
