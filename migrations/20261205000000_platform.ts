import { sql, type Kysely } from 'kysely';

// The initial schema, one migration per module (in dependency order). This first one holds the
// functions several modules' tables use.
const statements = [
  // Time-ordered UUIDs (version 7, RFC 9562: a millisecond timestamp, then random bits) for the rows
  // written on the hot paths: a new key lands on the right-most leaf of its index instead of on a
  // random page of an index much larger than the shared buffers. PostgreSQL 15 has no uuidv7().
  `create function uuid_v7() returns uuid language sql volatile parallel safe as $$
    select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
      placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
  $$`,
  // Evidence may grow, never change: the audit trail and the recognition log.
  `create function forbid_change() returns trigger language plpgsql as $$
   begin
     raise exception '% is append-only', tg_table_name using errcode = 'P0001';
   end $$`,
  // Rows others refer to without a foreign key (hospitals, items, rule sets, results) are never
  // deleted and keep their key: a foreign key would lock the referenced row on every insert.
  `create function forbid_removal() returns trigger language plpgsql as $$
    begin
      raise exception 'rows of % are never deleted and keep their key', tg_table_name using errcode = 'P0001';
    end $$`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const fn of ['forbid_removal', 'forbid_change', 'uuid_v7']) await sql.raw(`drop function if exists ${fn}()`).execute(db);
}
