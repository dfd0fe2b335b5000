import { sql, type RawBuilder } from 'kysely';
import { rollupDimensions } from './dimensions.ts';

/*
 * The roll-ups: each counted event adds its figures to a daily and a monthly row per roll-up
 * dimension it counts along (dimensions.ts), keyed by (dimension, day or month, the dimension's value).
 */

/** The figures a check adds to the roll-ups. */
export const checkFigures = ['check_items', 'with_recognizable'] as const;
/**
 * The figures a decision adds: the recognition rate's numerator (on the check's day) and the rest
 * on the decision's day, a recognition of the receiver's own result kept apart from mutual recognition.
 */
export const decisionFigures = [
  'recognized',
  'recognitions',
  'declines',
  'flagged_declines',
  'yuan',
  'minutes',
  'radiation_msv',
  'own_recognitions',
  'own_yuan',
  'own_minutes',
  'own_radiation_msv',
] as const;
/**
 * The decision figures of a roll-up event, named as `decisionFigures` (but `recognized`, counted on
 * the check's day apart), from what was decided: one decision, or a fine aggregate's sums. A recognition of
 * the receiver's own result (`same`) counts apart from mutual recognition, its savings with it.
 */
export function decisionFigureValues(
  same: RawBuilder<unknown>,
  decided: { recognitions: RawBuilder<unknown>; declines: RawBuilder<unknown>; flagged: RawBuilder<unknown> } & Record<
    'yuan' | 'minutes' | 'msv',
    RawBuilder<unknown>
  >,
): RawBuilder<unknown> {
  const mutual = (value: RawBuilder<unknown>) => sql`case when ${same} then 0 else ${value} end`;
  const own = (value: RawBuilder<unknown>) => sql`case when ${same} then ${value} else 0 end`;
  return sql`${mutual(decided.recognitions)} as recognitions, ${decided.declines} as declines, ${decided.flagged} as flagged_declines,
    ${mutual(decided.yuan)} as yuan, ${mutual(decided.minutes)} as minutes, ${mutual(decided.msv)} as radiation_msv,
    ${own(decided.recognitions)} as own_recognitions, ${own(decided.yuan)} as own_yuan, ${own(decided.minutes)} as own_minutes,
    ${own(decided.msv)} as own_radiation_msv`;
}

/** The figures of a roll-up row (agg_rollup, agg_rollup_months): the checks', the decisions', and the patients recognised. */
export const rollupFigureColumns = [...checkFigures, ...decisionFigures, 'patients'] as const;
export type Figure = (typeof rollupFigureColumns)[number];

/**
 * Adds roll-up rows to the daily and the monthly roll-up. `rows` selects (dimension, local_day,
 * dim_value) and the named figures; `ctes` are earlier WITH clauses it may read.
 */
export function addToRollups(figures: readonly Figure[], rows: RawBuilder<unknown>, ctes: RawBuilder<unknown>[] = []): RawBuilder<unknown> {
  const list = sql.join(figures.map((f) => sql.ref(f)));
  const sums = sql.join(figures.map((f) => sql`sum(${sql.ref(f)}) as ${sql.ref(f)}`));
  const add = (table: 'agg_rollup' | 'agg_rollup_months') =>
    sql.join(figures.map((f) => sql`${sql.ref(f)} = ${sql.ref(`${table}.${f}`)} + ${sql.ref(`excluded.${f}`)}`));
  return sql`
    with ${sql.join([...ctes, sql`e as (select dimension, local_day, dim_value, ${sums} from (${rows}) r group by 1, 2, 3)`])},
    daily as (
      insert into agg_rollup (dimension, local_day, dim_value, ${list}) select dimension, local_day, dim_value, ${list} from e
      on conflict (dimension, local_day, dim_value) do update set ${add('agg_rollup')}
    )
    insert into agg_rollup_months (dimension, month, dim_value, ${list})
    select dimension, date_trunc('month', local_day)::date, dim_value, ${sums} from e group by 1, 2, 3
    on conflict (dimension, month, dim_value) do update set ${add('agg_rollup_months')}`;
}

/**
 * Events spread along every roll-up dimension (dimensions.ts): each event counts once per dimension
 * it counts along, under that dimension's value.
 */
const dimensionValues = sql.join(
  rollupDimensions.map(
    (d) =>
      sql`(${sql.lit(d.name)}, ${sql.raw(d.value)}, ${sql.raw(d.counts === 'with-issuer' ? 'ev.issuer is not null' : 'ev.receiver_side')})`,
  ),
);

/** What a counted event names that the dimensions' values are read from (`ev`). */
const eventColumns = sql.join(['local_day', 'receiver_side', 'receiver', 'city', 'item_code', 'category', 'issuer'].map((c) => sql.ref(c)));

/**
 * The events summed per distinct combination of what the dimensions read first, then spread: a
 * batch's many check items fall into far fewer combinations (the same receiver, item and day).
 */
export function alongDimensions(figures: readonly Figure[], events: RawBuilder<unknown>): RawBuilder<unknown> {
  const sums = sql.join(figures.map((f) => sql`sum(${sql.ref(f)}) as ${sql.ref(f)}`));
  return sql`
    select dim.dimension, ev.local_day, dim.dim_value, ${sql.join(figures.map((f) => sql.ref(`ev.${f}`)))}
    from (select ${eventColumns}, ${sums} from (${events}) e group by ${eventColumns}) ev
    cross join lateral (values ${dimensionValues}) as dim(dimension, dim_value, included)
    where dim.included`;
}
