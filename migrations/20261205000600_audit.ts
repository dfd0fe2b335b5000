import { sql, type Kysely } from 'kysely';

// The audit module: the trail of every access to patient data, allowed or refused.
const statements = [
  `create table audit_events (
    id bigint generated always as identity primary key,
    occurred_at timestamptz not null default now(),
    action text not null,
    client_id text,
    hospital_id text,
    practitioner_id text,
    purpose text,
    patient_key text,
    check_id uuid,
    result_ids uuid[] not null default '{}',
    outcome text not null default 'success' check (outcome in ('success', 'refused', 'failed')),
    outcome_detail text,
    source_address text,
    request_id text,
    query jsonb
  )`,
  `comment on table audit_events is 'Every access to patient data: who, from where, for which patient and purpose, what was asked and shown, and whether it was allowed; append-only'`,
  `create index audit_events_occurred_idx on audit_events (occurred_at desc, id desc)`,
  `create index audit_events_hospital_idx on audit_events (hospital_id, occurred_at desc)`,
  `create index audit_events_patient_idx on audit_events (patient_key, occurred_at desc)`,
  // How many patients a client read lately, from the index alone.
  `create index audit_events_client_idx on audit_events (client_id, occurred_at) include (patient_key, outcome)`,
  `create trigger audit_events_append_only before update or delete on audit_events for each row execute function forbid_change()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists audit_events`.execute(db);
}
