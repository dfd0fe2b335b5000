import { sql, type Kysely } from 'kysely';

// A version number of the registry the recognition engine reads (hospitals, items, local code maps,
// scopes, certification events, rule sets), raised by every statement that changes one of them, in
// that statement's transaction. Each instance keeps the registry in memory and a check reads the
// version in the same statement as the patient's results: when they differ, the instance reloads
// before deciding, so a check never judges with a registry older than its own snapshot.
const tables = ['hospitals', 'items', 'code_maps', 'scopes', 'certification_events', 'rule_sets'];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table registry_version (
    only_row boolean primary key default true check (only_row),
    version bigint not null
  )`.execute(db);
  await sql`insert into registry_version (version) values (1)`.execute(db);
  await sql`create function raise_registry_version() returns trigger language plpgsql as $$
    begin
      update registry_version set version = version + 1;
      return null;
    end $$`.execute(db);
  for (const table of tables) {
    await sql.raw(`create trigger ${table}_registry_version after insert or update or delete or truncate on ${table}
      for each statement execute function raise_registry_version()`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of tables) await sql.raw(`drop trigger if exists ${table}_registry_version on ${table}`).execute(db);
  await sql`drop function if exists raise_registry_version()`.execute(db);
  await sql`drop table if exists registry_version`.execute(db);
}
