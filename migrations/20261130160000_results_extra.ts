import { sql, type Kysely } from 'kysely';

// The administrators' audit listing pages newest first by keyset on (occurred_at, id) with no
// filter; without this index every page of a large trail would sort the whole table.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index audit_events_occurred_idx on audit_events (occurred_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists audit_events_occurred_idx`.execute(db);
}
