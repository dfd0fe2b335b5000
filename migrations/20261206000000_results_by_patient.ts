import { sql, type Kysely } from 'kysely';

// Results keyed by (id, patient key), so that they can be distributed by the patient key (see
// docs/scaling.md). The uniqueness of a hospital's accession number, which cannot include the
// patient, moves to a table of its own that also says where the result is; versions carry the
// patient key, so they stay with their result. A result whose patient is corrected moves: its rows
// are written again under the new key, and the old ones, first marked as moving, removed.
const statements = [
  `create table result_accessions (
    issuing_hospital_id text not null,
    accession_no text not null,
    result_id uuid not null default uuid_v7(),
    patient_key text not null,
    primary key (issuing_hospital_id, accession_no)
  )`,
  `comment on table result_accessions is 'Each hospital''s accession numbers, unique, with the result each one names and that result''s patient key'`,
  `create trigger result_accessions_no_delete before delete on result_accessions for each row execute function forbid_removal()`,
  `create trigger result_accessions_keep_key before update of issuing_hospital_id, accession_no, result_id on result_accessions for each row
     when ((old.issuing_hospital_id, old.accession_no, old.result_id) is distinct from (new.issuing_hospital_id, new.accession_no, new.result_id))
     execute function forbid_removal()`,
  `insert into result_accessions (issuing_hospital_id, accession_no, result_id, patient_key)
     select issuing_hospital_id, accession_no, id, patient_key from results`,

  `alter table result_versions add column patient_key text`,
  `update result_versions v set patient_key = r.patient_key from results r where r.id = v.result_id`,
  `alter table result_versions alter column patient_key set not null`,
  `alter table result_versions drop constraint result_versions_result_id_fkey`,
  `alter table result_versions drop constraint result_versions_pkey`,

  `alter table results drop constraint results_accession_key`,
  `alter table results drop constraint results_pkey`,
  `alter table results add primary key (id, patient_key)`,
  `alter table results alter column id drop default`,
  `alter table results add column moving boolean not null default false`,
  `comment on column results.moving is 'Set only in the transaction that moves the result to a corrected patient key, just before its old row is removed'`,
  `drop trigger results_no_delete on results`,
  `create trigger results_no_delete before delete on results for each row when (not old.moving) execute function forbid_removal()`,
  `drop trigger results_keep_key on results`,
  `create trigger results_keep_key before update of id, patient_key on results for each row
     when (old.id is distinct from new.id or old.patient_key is distinct from new.patient_key) execute function forbid_removal()`,

  `alter table result_versions add primary key (result_id, version, patient_key)`,
  `alter table result_versions add foreign key (result_id, patient_key) references results (id, patient_key)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const back = [
    `alter table result_versions drop constraint result_versions_result_id_patient_key_fkey`,
    `alter table result_versions drop constraint result_versions_pkey`,
    `alter table result_versions drop column patient_key`,
    `drop trigger results_keep_key on results`,
    `create trigger results_keep_key before update of id on results for each row when (old.id is distinct from new.id) execute function forbid_removal()`,
    `drop trigger results_no_delete on results`,
    `create trigger results_no_delete before delete on results for each row execute function forbid_removal()`,
    `alter table results drop column moving`,
    `alter table results drop constraint results_pkey`,
    `alter table results add primary key (id)`,
    `alter table results alter column id set default uuid_v7()`,
    `alter table results add constraint results_accession_key unique (issuing_hospital_id, accession_no)`,
    `alter table result_versions add primary key (result_id, version)`,
    `alter table result_versions add foreign key (result_id) references results (id)`,
    `drop table result_accessions`,
  ];
  for (const statement of back) await sql.raw(statement).execute(db);
}
