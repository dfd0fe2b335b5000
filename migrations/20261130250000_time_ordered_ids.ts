import { sql, type Kysely } from 'kysely';

// Time-ordered UUIDs (version 7, RFC 9562: a millisecond timestamp, then random bits) for the rows
// written on the hot paths: a new key lands on the right-most leaf of its primary key (and of the
// check's item and candidate keys, which start with the check id) instead of on a random page of
// an index much larger than the shared buffers. PostgreSQL 15 has no uuidv7(), hence the function.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create function uuid_v7() returns uuid language sql volatile parallel safe as $$
    select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
      placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
  $$`.execute(db);
  for (const table of ['results', 'recognition_checks', 'recognition_decisions']) {
    await sql`alter table ${sql.table(table)} alter column id set default uuid_v7()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['results', 'recognition_checks', 'recognition_decisions']) {
    await sql`alter table ${sql.table(table)} alter column id set default gen_random_uuid()`.execute(db);
  }
  await sql`drop function if exists uuid_v7()`.execute(db);
}
