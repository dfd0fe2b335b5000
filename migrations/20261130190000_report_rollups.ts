import { sql, type Kysely } from 'kysely';

// Report roll-ups. At province scale the fine aggregates (day × receiver × issuer × item) hold
// nearly a row per decision, so province-wide reports would read as much as the log. agg_rollup
// keeps the additive figures per day along one dimension at a time (everything, receiver, item,
// category, city): a year of the whole province is a few hundred rows. The busiest rows (the
// province, a category, a city) are split over a few shards so concurrent writers rarely wait on
// one row; readers sum the shards.
const statements = [
  `create table agg_rollup (
    dimension text not null check (dimension in ('all', 'receiver', 'item', 'category', 'city')),
    local_day date not null,
    dim_value text not null,
    shard smallint not null default 0,
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
    primary key (dimension, local_day, dim_value, shard)
  )`,
  `create index agg_rollup_value_idx on agg_rollup (dimension, dim_value, local_day)`,
  // A hospital's own figures read the fine aggregates by receiver, not the whole province's days.
  `create index agg_check_items_receiver_idx on agg_check_items (receiving_hospital_id, local_day)`,
  `create index agg_decisions_receiver_idx on agg_decisions (receiving_hospital_id, local_day)`,
  `create index agg_recognized_patients_receiver_idx on agg_recognized_patients (receiving_hospital_id, local_day)`,
  `create index agg_declines_receiver_idx on agg_declines (receiving_hospital_id, local_day)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['agg_check_items_receiver_idx', 'agg_decisions_receiver_idx', 'agg_recognized_patients_receiver_idx', 'agg_declines_receiver_idx']) {
    await sql.raw(`drop index if exists ${index}`).execute(db);
  }
  await sql`drop table if exists agg_rollup`.execute(db);
}
