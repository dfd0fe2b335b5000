import { sql, type Kysely } from 'kysely';

// The webhooks module: each hospital's endpoints, and the outbox of deliveries to them.
const statements = [
  `create table webhook_endpoints (
    id uuid primary key default uuid_v7(),
    hospital_id text not null,
    url text not null,
    description text,
    secret_sealed text not null,
    previous_secret_sealed text,
    previous_secret_expires_at timestamptz,
    enabled boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by text not null,
    check ((previous_secret_sealed is null) = (previous_secret_expires_at is null))
  )`,
  `comment on table webhook_endpoints is 'Where a hospital receives events: its URL and signing secret (sealed with AES-256-GCM), the previous secret while a rotation overlaps; the hospital is the registry''s, referred to without a foreign key'`,
  `create index webhook_endpoints_hospital_idx on webhook_endpoints (hospital_id)`,
  `create table webhook_deliveries (
    id uuid primary key default uuid_v7(),
    endpoint_id uuid not null references webhook_endpoints (id),
    hospital_id text not null,
    event_type text not null,
    event_id uuid not null,
    payload jsonb not null,
    status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    last_attempt_at timestamptz,
    last_status_code integer,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz not null default now(),
    constraint webhook_deliveries_once unique (endpoint_id, event_id)
  )`,
  `comment on table webhook_deliveries is 'The outbox: one row per event and endpoint, queued in the transaction that caused the event; a worker leases due rows (next_attempt_at moves past the attempt) and sends them at least once'`,
  // The worker's claim probes each enabled endpoint for its earliest due deliveries.
  `create index webhook_deliveries_due_idx on webhook_deliveries (endpoint_id, next_attempt_at) where status = 'pending'`,
  // Lists are newest first by id (a UUIDv7, so in the order of creation) and paged by it.
  `create index webhook_deliveries_endpoint_idx on webhook_deliveries (endpoint_id, id desc)`,
  `create index webhook_deliveries_hospital_idx on webhook_deliveries (hospital_id, id desc)`,
  `create index webhook_deliveries_failed_idx on webhook_deliveries (id desc) where status = 'failed'`,
  // Workers on every instance wake at commit when a delivery is queued or queued again (LISTEN webhook_deliveries).
  `create function notify_webhook_delivery() returns trigger language plpgsql as $$
    begin
      perform pg_notify('webhook_deliveries', '');
      return null;
    end $$`,
  `create trigger webhook_deliveries_queued after insert on webhook_deliveries for each row execute function notify_webhook_delivery()`,
  `create trigger webhook_deliveries_requeued after update of status on webhook_deliveries
    for each row when (new.status = 'pending' and old.status <> 'pending') execute function notify_webhook_delivery()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['webhook_deliveries', 'webhook_endpoints']) await sql.raw(`drop table if exists ${table}`).execute(db);
  await sql`drop function if exists notify_webhook_delivery()`.execute(db);
}
