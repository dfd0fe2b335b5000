import { sql, type Kysely } from 'kysely';

// The idempotency module: answers kept for requests sent with an Idempotency-Key.
const statements = [
  `create table idempotency_keys (
    client_id text not null,
    idempotency_key text not null,
    request_hash text not null,
    status_code integer not null,
    response jsonb not null,
    created_at timestamptz not null,
    primary key (client_id, idempotency_key)
  )`,
  `comment on table idempotency_keys is 'The answer to each client''s request sent with an Idempotency-Key, replayed when the same request comes again, until it expires'`,
  `create index idempotency_keys_created_idx on idempotency_keys (created_at)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists idempotency_keys`.execute(db);
}
