import { sql, type Kysely } from 'kysely';

// Incrementally maintained report aggregates, updated in the same transaction as each check and
// decision, so reports never scan the log. Days are Asia/Shanghai calendar days.
const statements = [
  // Per check item: the denominator and numerator of the recognition rate, on the check's day.
  `create table agg_check_items (
    local_day date not null,
    receiving_hospital_id text not null,
    item_code text not null,
    check_items integer not null default 0,
    with_recognizable integer not null default 0,
    recognized integer not null default 0,
    primary key (local_day, receiving_hospital_id, item_code)
  )`,
  // Per (check item, issuer) the issuer had a (recognisable) candidate for: the issuer's view.
  `create table agg_issuer_candidates (
    local_day date not null,
    issuing_hospital_id text not null,
    receiving_hospital_id text not null,
    item_code text not null,
    check_items integer not null default 0,
    with_recognizable integer not null default 0,
    primary key (local_day, issuing_hospital_id, receiving_hospital_id, item_code)
  )`,
  // Decisions and their savings, on the decision's day; same-hospital reuse kept apart.
  `create table agg_decisions (
    local_day date not null,
    receiving_hospital_id text not null,
    issuing_hospital_id text not null,
    item_code text not null,
    same_hospital boolean not null,
    recognitions integer not null default 0,
    declines integer not null default 0,
    flagged_declines integer not null default 0,
    yuan numeric(16, 2) not null default 0,
    minutes bigint not null default 0,
    radiation_msv numeric(14, 4) not null default 0,
    primary key (local_day, receiving_hospital_id, issuing_hospital_id, item_code, same_hospital)
  )`,
  `create table agg_declines (
    local_day date not null,
    receiving_hospital_id text not null,
    practitioner_id text not null,
    reason_code text not null,
    declines integer not null default 0,
    flagged integer not null default 0,
    primary key (local_day, receiving_hospital_id, practitioner_id, reason_code)
  )`,
  // Distinct patients who had an exam recognised, per day and (receiver, issuer, item): exact
  // distinct counts over any grouping, one small row per patient and day instead of a log scan.
  `create table agg_recognized_patients (
    local_day date not null,
    receiving_hospital_id text not null,
    issuing_hospital_id text not null,
    item_code text not null,
    same_hospital boolean not null,
    patient_hash bigint not null,
    primary key (local_day, receiving_hospital_id, issuing_hospital_id, item_code, same_hospital, patient_hash)
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['agg_recognized_patients', 'agg_declines', 'agg_decisions', 'agg_issuer_candidates', 'agg_check_items']) {
    await sql.raw(`drop table if exists ${table}`).execute(db);
  }
}
