import { sql, type Kysely } from 'kysely';

// The result index. Patients appear only as a keyed HMAC (patient_key). The hot look-up is
// "this patient's results since the look-back", served by (patient_key, performed_at).
// Every amendment keeps the previous version in result_versions; audit_events records each read
// of patient data.
const statements = [
  `create table results (
    id uuid primary key default gen_random_uuid(),
    issuing_hospital_id text not null references hospitals (id),
    accession_no text not null,
    patient_key text not null,
    item_code text not null references items (code),
    local_code text,
    kind text not null check (kind in ('data', 'images', 'conclusion')),
    status text not null,
    performed_at timestamptz not null,
    reported_at timestamptz,
    images_available boolean,
    study_uid text,
    critical_open boolean not null default false,
    equipment jsonb,
    analytes jsonb,
    analyte_codes text[] not null default '{}',
    findings text,
    content_hash text not null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint results_accession_key unique (issuing_hospital_id, accession_no)
  )`,
  `create index results_patient_idx on results (patient_key, performed_at desc) include (item_code)`,
  `create table result_versions (
    result_id uuid not null references results (id),
    version integer not null,
    content jsonb not null,
    content_hash text not null,
    recorded_at timestamptz not null default now(),
    recorded_by text not null,
    primary key (result_id, version)
  )`,
  `create table audit_events (
    id bigint generated always as identity primary key,
    occurred_at timestamptz not null default now(),
    action text not null,
    client_id text not null,
    hospital_id text,
    practitioner_id text,
    purpose text,
    patient_key text,
    check_id uuid,
    result_ids uuid[] not null default '{}'
  )`,
  `create index audit_events_patient_idx on audit_events (patient_key, occurred_at desc)`,
  `create index audit_events_hospital_idx on audit_events (hospital_id, occurred_at desc)`,
  // The audit trail is evidence: it may grow, never change.
  `create function forbid_change() returns trigger language plpgsql as $$
   begin
     raise exception '% is append-only', tg_table_name using errcode = 'P0001';
   end $$`,
  `create trigger audit_events_append_only before update or delete on audit_events
     for each row execute function forbid_change()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit_events', 'result_versions', 'results']) {
    await sql.raw(`drop table if exists ${table}`).execute(db);
  }
  await sql.raw('drop function if exists forbid_change()').execute(db);
}
