import { sql, type Kysely } from 'kysely';

// The registry: hospitals, recognition scopes, the exam-item catalogue, local code maps and the
// append-only certification timeline.
const statements = [
  `create table hospitals (
    id text primary key,
    name text not null,
    tier text not null check (tier in ('tertiary', 'secondary', 'primary')),
    grade text check (grade in ('A', 'B', 'C')),
    province text not null,
    city text not null,
    county text,
    price_tier text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index hospitals_location_idx on hospitals (province, city, id)`,
  `alter table clients add constraint clients_hospital_fk foreign key (hospital_id) references hospitals (id)`,
  `create table scopes (
    id text primary key,
    level text not null check (level in ('consortium', 'city', 'province', 'alliance', 'national')),
    name text not null,
    region text,
    members text[],
    items text[],
    updated_at timestamptz not null default now()
  )`,
  `create table items (
    code text primary key,
    name text not null,
    name_zh text,
    category text not null check (category in ('lab', 'xray', 'ct', 'mri', 'ultrasound', 'ecg', 'nuclear', 'pathology')),
    validity_days integer not null check (validity_days > 0),
    negative_list boolean not null default false,
    analytes text[],
    prices jsonb not null,
    minutes_saved integer not null check (minutes_saved >= 0),
    radiation_msv numeric(10, 4),
    loinc text[],
    updated_at timestamptz not null default now()
  )`,
  `create table code_maps (
    hospital_id text not null references hospitals (id),
    local_code text not null,
    item_code text not null references items (code),
    primary key (hospital_id, local_code)
  )`,
  `create table certification_events (
    id bigint generated always as identity primary key,
    hospital_id text not null references hospitals (id),
    item_code text references items (code),
    category text,
    scope_id text not null references scopes (id),
    status text not null check (status in ('active', 'suspended', 'revoked')),
    effective_from timestamptz not null,
    note text,
    recorded_at timestamptz not null default now(),
    recorded_by text not null,
    check (item_code is null or category is null)
  )`,
  `create index certification_events_hospital_idx on certification_events (hospital_id, effective_from)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('alter table clients drop constraint if exists clients_hospital_fk').execute(db);
  for (const table of ['certification_events', 'code_maps', 'items', 'scopes', 'hospitals']) {
    await sql.raw(`drop table if exists ${table}`).execute(db);
  }
}
