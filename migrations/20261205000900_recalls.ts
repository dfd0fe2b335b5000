import { sql, type Kysely } from 'kysely';

// The recalls module: recalls of recognised results that changed afterwards, one per recognising hospital.
const statements = [
  `create table recalls (
    id uuid primary key default uuid_v7(),
    hospital_id text not null,
    result_id uuid not null,
    issuing_hospital_id text not null,
    accession_no text not null,
    item_code text not null,
    patient_key text not null,
    cause text not null check (cause in ('amended', 'withdrawn', 'certification')),
    result_version integer,
    certification_event_id bigint,
    changed_fields text[] not null default '{}',
    reasons text[] not null default '{}',
    recognitions jsonb not null,
    created_at timestamptz not null default now(),
    acknowledged_at timestamptz,
    acknowledged_by text,
    acknowledged_client_id text,
    acknowledgement_note text,
    check ((acknowledged_at is null) = (acknowledged_by is null)),
    check ((cause = 'certification') = (certification_event_id is not null))
  )`,
  `comment on table recalls is 'One per hospital that recognised a result which later changed its clinical content, was withdrawn, or fell under a retroactive suspension or revocation: which recognitions, what changed and why, and its acknowledgement'`,
  `create index recalls_hospital_idx on recalls (hospital_id, created_at desc, id desc)`,
  `create index recalls_created_idx on recalls (created_at)`,
  `create index recalls_open_idx on recalls (created_at) where acknowledged_at is null`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['recalls']) await sql.raw(`drop table if exists ${table}`).execute(db);
}
