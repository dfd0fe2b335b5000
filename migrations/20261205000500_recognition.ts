import { sql, type Kysely } from 'kysely';

// The recognition module: the check log (each check, its requested items and every candidate it
// judged) and the decisions taken on those candidates.
const statements = [
  `create table recognition_checks (
    id uuid primary key default uuid_v7(),
    receiving_hospital_id text not null,
    client_id text not null,
    practitioner_id text not null,
    patient_key text not null,
    purpose text not null,
    context jsonb not null default '{}',
    rule_set_version integer not null,
    created_at timestamptz not null default now()
  )`,
  `comment on table recognition_checks is 'Each recognition check: who asked, for which patient and purpose, under which rule settings'`,
  `create index recognition_checks_created_idx on recognition_checks (created_at)`,
  `create index recognition_checks_receiver_idx on recognition_checks (receiving_hospital_id, created_at)`,
  `create table check_items (
    check_id uuid not null references recognition_checks (id),
    item_code text not null,
    position integer not null,
    has_recognizable boolean not null,
    primary key (check_id, item_code)
  )`,
  `comment on table check_items is 'The items a check asked about, in the order asked, and whether any prior result was recognisable'`,
  `create table check_candidates (
    check_id uuid not null,
    item_code text not null,
    result_id uuid not null,
    issuing_hospital_id text not null,
    outcome text not null check (outcome in ('RECOGNIZABLE', 'NOT_RECOGNIZABLE')),
    retest_permitted boolean not null,
    reasons text[] not null,
    advisories text[] not null,
    yuan numeric(12, 2) not null,
    minutes integer not null,
    radiation_msv numeric(10, 4) not null,
    primary key (check_id, item_code, result_id),
    foreign key (check_id, item_code) references check_items (check_id, item_code)
  )`,
  `comment on table check_candidates is 'Every prior result a check judged for an item: the outcome, its reasons and advisories, and what reuse would save'`,
  `create table recognition_decisions (
    id uuid primary key default uuid_v7(),
    check_id uuid not null,
    item_code text not null,
    result_id uuid not null,
    receiving_hospital_id text not null,
    issuing_hospital_id text not null,
    client_id text not null,
    practitioner_id text not null,
    action text not null check (action in ('recognized', 'declined')),
    reason_code text,
    reason_text text check (char_length(reason_text) <= 200),
    flagged boolean not null,
    yuan numeric(12, 2) not null,
    minutes integer not null,
    radiation_msv numeric(10, 4) not null,
    rule_set_version integer not null,
    decided_at timestamptz not null default now(),
    check ((action = 'declined') = (reason_code is not null)),
    constraint recognition_decisions_candidate_key unique (check_id, item_code, result_id),
    foreign key (check_id, item_code, result_id) references check_candidates (check_id, item_code, result_id)
  )`,
  `comment on table recognition_decisions is 'The recognition log: each recognition or reasoned decline of a judged candidate, with the money, time and dose saved; append-only'`,
  // One recognition per requested item of a check.
  `create unique index recognition_decisions_one_per_item on recognition_decisions (check_id, item_code) where action = 'recognized'`,
  `create index recognition_decisions_decided_idx on recognition_decisions (decided_at)`,
  // The recognitions a changed result or a retroactive certification event reaches (recalls).
  `create index recognition_decisions_result_idx on recognition_decisions (result_id, decided_at) where action = 'recognized'`,
  `create index recognition_decisions_issuer_idx on recognition_decisions (issuing_hospital_id, decided_at) where action = 'recognized'`,
  `create trigger recognition_decisions_append_only before update or delete on recognition_decisions for each row execute function forbid_change()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['recognition_decisions', 'check_candidates', 'check_items', 'recognition_checks']) {
    await sql.raw(`drop table if exists ${table}`).execute(db);
  }
}
