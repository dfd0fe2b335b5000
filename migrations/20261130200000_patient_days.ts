import { sql, type Kysely } from 'kysely';

// "Patients" in the reports are patient-days: distinct patients with a mutual recognition per
// Asia/Shanghai day, summed over the days of a period (a patient recognised on two days counts
// twice). Unlike a distinct count over a whole period, that is additive, so the roll-ups can carry
// it: agg_patient_days records which (day, dimension, value, patient) have been counted.
const statements = [
  `alter table agg_rollup add column patients integer not null default 0`,
  `create table agg_patient_days (
    dimension text not null,
    local_day date not null,
    dim_value text not null,
    patient_hash bigint not null,
    primary key (dimension, local_day, dim_value, patient_hash)
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists agg_patient_days`.execute(db);
  await sql`alter table agg_rollup drop column if exists patients`.execute(db);
}
