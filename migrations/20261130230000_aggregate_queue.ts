import { sql, type Kysely } from 'kysely';

// The report aggregates are no longer written by each check and decision. A check or decision
// only queues its id in agg_pending, in its own statement or transaction; the aggregator drains
// the queue in batches (src/modules/reports/aggregator.ts), in one transaction per batch, so a
// batch is counted exactly once. With one aggregator at a time the roll-up rows need no shards,
// and a monthly roll-up costs one upsert per batch instead of one per request.
const figureColumns = [
  'check_items', 'with_recognizable', 'recognized', 'recognitions', 'declines', 'flagged_declines', 'yuan', 'minutes', 'radiation_msv',
  'own_recognitions', 'own_yuan', 'own_minutes', 'own_radiation_msv', 'patients',
].join(', ');
const sums = figureColumns.split(', ').map((c) => `sum(${c})`).join(', ');

const statements = [
  `create table agg_pending (
    id bigint generated always as identity primary key,
    check_id uuid,
    decision_id uuid,
    check (num_nonnulls(check_id, decision_id) = 1)
  )`,
  // The same columns and checks without the shard; the old rows summed over their shards.
  `alter table agg_rollup rename to agg_rollup_sharded`,
  `alter index agg_rollup_pkey rename to agg_rollup_sharded_pkey`,
  `alter index agg_rollup_value_idx rename to agg_rollup_sharded_value_idx`,
  `create table agg_rollup (like agg_rollup_sharded including defaults including constraints)`,
  `alter table agg_rollup drop column shard`,
  `alter table agg_rollup add primary key (dimension, local_day, dim_value)`,
  `insert into agg_rollup (dimension, local_day, dim_value, ${figureColumns})
    select dimension, local_day, dim_value, ${sums} from agg_rollup_sharded group by 1, 2, 3`,
  `drop table agg_rollup_sharded`,
  `create index agg_rollup_value_idx on agg_rollup (dimension, dim_value, local_day)`,
  `create table agg_rollup_months (like agg_rollup including defaults including constraints)`,
  `alter table agg_rollup_months rename column local_day to month`,
  `alter table agg_rollup_months add primary key (dimension, month, dim_value)`,
  `create index agg_rollup_months_value_idx on agg_rollup_months (dimension, dim_value, month)`,
  `insert into agg_rollup_months (dimension, month, dim_value, ${figureColumns})
    select dimension, date_trunc('month', local_day)::date, dim_value, ${sums} from agg_rollup group by 1, 2, 3`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists agg_rollup_months`.execute(db);
  await sql`drop table if exists agg_pending`.execute(db);
  await sql`alter table agg_rollup add column shard smallint not null default 0`.execute(db);
  await sql`alter table agg_rollup drop constraint agg_rollup_pkey`.execute(db);
  await sql`alter table agg_rollup add primary key (dimension, local_day, dim_value, shard)`.execute(db);
}
