import { sql, type Kysely } from 'kysely';

// Idempotency-Key (IETF HTTP API draft) on POST checks, decisions and batches: the first answer to a
// client's key is stored in the transaction that did the work, so a retry replays it and records
// nothing twice. request_hash tells a retry from a different request reusing the key.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table idempotency_keys (
    client_id text not null,
    idempotency_key text not null,
    request_hash text not null,
    status_code integer not null,
    response jsonb not null,
    created_at timestamptz not null,
    primary key (client_id, idempotency_key)
  )`.execute(db);
  await sql`create index idempotency_keys_created_idx on idempotency_keys (created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists idempotency_keys`.execute(db);
}
