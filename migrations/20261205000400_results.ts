import { sql, type Kysely } from 'kysely';

// The results module: each hospital's exam results (the current version) and every version kept.
const statements = [
  `create table results (
    id uuid primary key default uuid_v7(),
    issuing_hospital_id text not null,
    accession_no text not null,
    patient_key text not null,
    item_code text not null,
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
  `comment on table results is 'Exam results as their issuing hospital last submitted them, under a pseudonymous patient key; hospitals and items are the registry''s, referred to without a foreign key'`,
  // A check reads one patient's results, newest first, and skips other items from the index alone.
  `create index results_patient_idx on results (patient_key, performed_at desc) include (item_code)`,
  `create trigger results_no_delete before delete on results for each row execute function forbid_removal()`,
  `create trigger results_keep_key before update of id on results for each row when (old.id is distinct from new.id) execute function forbid_removal()`,
  `create table result_versions (
    result_id uuid not null references results (id),
    version integer not null,
    content jsonb not null,
    content_hash text not null,
    recorded_at timestamptz not null default now(),
    recorded_by text not null,
    primary key (result_id, version)
  )`,
  `comment on table result_versions is 'Every version of every result as submitted, with who submitted it and when'`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['result_versions', 'results']) await sql.raw(`drop table if exists ${table}`).execute(db);
}
