import { sql, type Kysely } from 'kysely';

// Rule-set versions, recognition checks (the denominator of the recognition rate) with their
// candidates, and the append-only recognition log.
const statements = [
  `create table rule_sets (
    version integer primary key,
    tier_direction text not null check (tier_direction in ('symmetric', 'downward-only-outside-city')),
    lookback_days integer not null check (lookback_days > 0),
    created_at timestamptz not null default now(),
    created_by text not null
  )`,
  `insert into rule_sets (version, tier_direction, lookback_days, created_by) values (1, 'symmetric', 365, 'migration')`,
  `create table recognition_checks (
    id uuid primary key default gen_random_uuid(),
    receiving_hospital_id text not null references hospitals (id),
    client_id text not null,
    practitioner_id text not null,
    patient_key text not null,
    purpose text not null,
    context jsonb not null default '{}',
    rule_set_version integer not null references rule_sets (version),
    created_at timestamptz not null default now()
  )`,
  `create index recognition_checks_receiver_idx on recognition_checks (receiving_hospital_id, created_at)`,
  `create index recognition_checks_created_idx on recognition_checks (created_at)`,
  `create table check_items (
    check_id uuid not null references recognition_checks (id),
    item_code text not null references items (code),
    position integer not null,
    has_recognizable boolean not null,
    primary key (check_id, item_code)
  )`,
  `create table check_candidates (
    check_id uuid not null,
    item_code text not null,
    result_id uuid not null references results (id),
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
  `create table recognition_decisions (
    id uuid primary key default gen_random_uuid(),
    check_id uuid not null,
    item_code text not null,
    result_id uuid not null,
    receiving_hospital_id text not null references hospitals (id),
    issuing_hospital_id text not null references hospitals (id),
    client_id text not null,
    practitioner_id text not null,
    action text not null check (action in ('recognized', 'declined')),
    reason_code text,
    reason_text text check (char_length(reason_text) <= 200),
    flagged boolean not null,
    yuan numeric(12, 2) not null,
    minutes integer not null,
    radiation_msv numeric(10, 4) not null,
    rule_set_version integer not null references rule_sets (version),
    decided_at timestamptz not null default now(),
    foreign key (check_id, item_code, result_id) references check_candidates (check_id, item_code, result_id),
    constraint recognition_decisions_candidate_key unique (check_id, item_code, result_id),
    check ((action = 'declined') = (reason_code is not null))
  )`,
  // One recognition per requested item of a check (a second recognised candidate is a conflict).
  `create unique index recognition_decisions_one_per_item on recognition_decisions (check_id, item_code)
     where action = 'recognized'`,
  `create index recognition_decisions_decided_idx on recognition_decisions (decided_at)`,
  `create trigger recognition_decisions_append_only before update or delete on recognition_decisions
     for each row execute function forbid_change()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['recognition_decisions', 'check_candidates', 'check_items', 'recognition_checks', 'rule_sets']) {
    await sql.raw(`drop table if exists ${table}`).execute(db);
  }
}
