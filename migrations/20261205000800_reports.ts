import { sql, type Kysely } from 'kysely';

// The reports module's read model. Checks and decisions are queued in agg_pending; the aggregator
// (the only writer of these tables) counts them into the tables below in batches. Days, months and
// years are Asia/Shanghai calendar units, each stored as its first day.

/** The figures every roll-up row carries. */
const figures = `
    check_items integer not null default 0,
    with_recognizable integer not null default 0,
    recognized integer not null default 0,
    recognitions integer not null default 0,
    declines integer not null default 0,
    flagged_declines integer not null default 0,
    yuan numeric(16, 2) not null default 0,
    minutes bigint not null default 0,
    radiation_msv numeric(14, 4) not null default 0,
    own_recognitions integer not null default 0,
    own_yuan numeric(16, 2) not null default 0,
    own_minutes bigint not null default 0,
    own_radiation_msv numeric(14, 4) not null default 0,
    patients integer not null default 0`;

const statements = [
  `create table agg_pending (
    id bigint generated always as identity primary key,
    check_id uuid,
    decision_id uuid,
    check (num_nonnulls(check_id, decision_id) = 1)
  )`,
  `comment on table agg_pending is 'Checks and decisions recorded but not yet counted: one id per row, drained by the aggregator'`,

  // Fine aggregates, per day and the keys the reports filter by.
  `create table agg_check_items (
    local_day date not null,
    receiving_hospital_id text not null,
    item_code text not null,
    check_items integer not null default 0,
    with_recognizable integer not null default 0,
    recognized integer not null default 0,
    primary key (local_day, receiving_hospital_id, item_code)
  )`,
  `comment on table agg_check_items is 'Requested items per day, receiver and item: how many had a recognisable prior result, how many were recognised (on the check''s day)'`,
  `create index agg_check_items_receiver_idx on agg_check_items (receiving_hospital_id, local_day)`,
  `create table agg_issuer_candidates (
    local_day date not null,
    issuing_hospital_id text not null,
    receiving_hospital_id text not null,
    item_code text not null,
    check_items integer not null default 0,
    with_recognizable integer not null default 0,
    primary key (local_day, issuing_hospital_id, receiving_hospital_id, item_code)
  )`,
  `comment on table agg_issuer_candidates is 'Requested items per day for which an issuer''s result was a candidate, and was recognisable'`,
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
  `comment on table agg_decisions is 'Decisions per day, receiver, issuer and item, with what the recognitions saved'`,
  `create index agg_decisions_receiver_idx on agg_decisions (receiving_hospital_id, local_day)`,
  `create table agg_declines (
    local_day date not null,
    receiving_hospital_id text not null,
    practitioner_id text not null,
    reason_code text not null,
    declines integer not null default 0,
    flagged integer not null default 0,
    primary key (local_day, receiving_hospital_id, practitioner_id, reason_code)
  )`,
  `comment on table agg_declines is 'Declines per day, receiver, practitioner and reason, and how many were flagged'`,
  `create index agg_declines_receiver_idx on agg_declines (receiving_hospital_id, local_day)`,
  `create table agg_decline_months (
    month date not null,
    receiving_hospital_id text not null,
    reason_code text not null,
    declines integer not null default 0,
    flagged integer not null default 0,
    primary key (month, receiving_hospital_id, reason_code)
  )`,
  `comment on table agg_decline_months is 'Declines per month, receiver and reason'`,
  `create table agg_practitioner_months (
    month date not null,
    receiving_hospital_id text not null,
    practitioner_id text not null,
    declines integer not null default 0,
    flagged integer not null default 0,
    primary key (month, receiving_hospital_id, practitioner_id)
  )`,
  `comment on table agg_practitioner_months is 'Declines per month, receiver and practitioner'`,
  `create table agg_practitioner_years (
    year date not null,
    receiving_hospital_id text not null,
    practitioner_id text not null,
    declines integer not null default 0,
    flagged integer not null default 0,
    primary key (year, receiving_hospital_id, practitioner_id)
  )`,
  `comment on table agg_practitioner_years is 'Declines per year, receiver and practitioner'`,
  `create table agg_recognized_patients (
    local_day date not null,
    receiving_hospital_id text not null,
    issuing_hospital_id text not null,
    item_code text not null,
    same_hospital boolean not null,
    patient_hash bigint not null,
    primary key (local_day, receiving_hospital_id, issuing_hospital_id, item_code, same_hospital, patient_hash)
  )`,
  `comment on table agg_recognized_patients is 'Which patients (a hash of the patient key) had a recognition per day, receiver, issuer and item: distinct patients of any selection'`,
  `create index agg_recognized_patients_receiver_idx on agg_recognized_patients (receiving_hospital_id, local_day)`,

  // Flows between hospitals, keyed by the hospitals' numbers.
  `create view agg_flow_days as
    select a.local_day, i.num as issuer_num, r.num as receiver_num, a.recognitions, a.yuan
    from agg_decisions a join hospitals i on i.id = a.issuing_hospital_id join hospitals r on r.id = a.receiving_hospital_id
    where not a.same_hospital and a.recognitions > 0`,
  `comment on view agg_flow_days is 'Mutual recognitions per day and issuer → receiver pair'`,
  ...(['month', 'year'] as const).flatMap((unit) => [
    `create table agg_flow_${unit}s (
      ${unit} date not null,
      issuer_num integer not null,
      receiver_num integer not null,
      recognitions integer not null default 0,
      yuan numeric(16, 2) not null default 0,
      primary key (${unit}, issuer_num, receiver_num)
    )`,
    `comment on table agg_flow_${unit}s is 'Mutual recognitions per ${unit} and issuer → receiver pair'`,
    `create table agg_flow_${unit}_issuers (
      ${unit} date not null,
      issuer_num integer not null,
      receiver_nums integer[] not null,
      recognitions integer[] not null,
      fen bigint[] not null,
      primary key (${unit}, issuer_num)
    )`,
    `comment on table agg_flow_${unit}_issuers is 'Each issuer''s flows of a ${unit} in one row: its receivers in ascending order and, in the same order, their recognitions and yuan in fen'`,
  ]),

  // Roll-ups along one dimension at a time (dimensions.ts names them), per day and per month.
  `create table agg_rollup (
    dimension text not null,
    local_day date not null,
    dim_value text not null,${figures},
    primary key (dimension, local_day, dim_value)
  )`,
  `comment on table agg_rollup is 'Every savings figure per day along one dimension (all, receiver, item, category, city, issuer) and its value'`,
  `create index agg_rollup_value_idx on agg_rollup (dimension, dim_value, local_day)`,
  `create table agg_rollup_months (
    dimension text not null,
    month date not null,
    dim_value text not null,${figures},
    primary key (dimension, month, dim_value)
  )`,
  `comment on table agg_rollup_months is 'The roll-up per month'`,
  `create index agg_rollup_months_value_idx on agg_rollup_months (dimension, dim_value, month)`,
  `create table agg_patient_days (
    dimension text not null,
    local_day date not null,
    dim_value text not null,
    patient_hash bigint not null,
    primary key (dimension, local_day, dim_value, patient_hash)
  )`,
  `comment on table agg_patient_days is 'Which patients a roll-up row already counts for its day: a patient counts once per day and value'`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists agg_flow_days`.execute(db);
  const tables = [
    'agg_patient_days',
    'agg_rollup_months',
    'agg_rollup',
    'agg_flow_year_issuers',
    'agg_flow_years',
    'agg_flow_month_issuers',
    'agg_flow_months',
    'agg_recognized_patients',
    'agg_practitioner_years',
    'agg_practitioner_months',
    'agg_decline_months',
    'agg_declines',
    'agg_decisions',
    'agg_issuer_candidates',
    'agg_check_items',
    'agg_pending',
  ];
  for (const table of tables) await sql.raw(`drop table if exists ${table}`).execute(db);
}
