import { sql, type Kysely } from 'kysely';

// A version per registry table besides the registry's own: an instance that finds the registry
// changed reloads only the tables whose version moved (a local-code edit reloads the code maps, not
// the certifications). Both are raised by the same statement trigger, in the changing transaction.
const tables = ['hospitals', 'items', 'code_maps', 'scopes', 'certification_events', 'rule_sets'];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table registry_table_versions (
    table_name text primary key,
    version bigint not null
  )`.execute(db);
  await sql`insert into registry_table_versions (table_name, version) select unnest(${tables}::text[]), 1`.execute(db);
  await sql`create or replace function raise_registry_version() returns trigger language plpgsql as $$
    begin
      update registry_version set version = version + 1;
      update registry_table_versions set version = version + 1 where table_name = tg_table_name;
      return null;
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create or replace function raise_registry_version() returns trigger language plpgsql as $$
    begin
      update registry_version set version = version + 1;
      return null;
    end $$`.execute(db);
  await sql`drop table if exists registry_table_versions`.execute(db);
}
