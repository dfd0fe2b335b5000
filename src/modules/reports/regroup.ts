import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { takeAggregatorLock } from './aggregator.ts';
import { decisionFigureValues, rollupFigureColumns } from './rollups.ts';

/**
 * A hospital's city and an item's category are registry data that can change (a correction, a
 * reclassification). The fine aggregates and every report read them as they are now; the roll-ups
 * along `city` and `category` counted them as they were. So a change recounts those roll-up rows of
 * the values it touches (the old one and the new one) from the fine aggregates, with the registry as
 * it now is, in the transaction that changes it: every report, and a rebuild from the log, then agree.
 * The aggregator's lock is held for it, so no drain counts between the two.
 */
export type RegroupedDimension = 'city' | 'category';

/** The value of a fine aggregate row `a` along the dimension: its receiving hospital's city (`h`), its item's category (`i`). */
const valueOf: Record<RegroupedDimension, RawBuilder<unknown>> = { city: sql`h.city`, category: sql`i.category` };
/** The fine aggregate `a` with its receiving hospital and item, those of the values named. */
const withValue = (table: 'agg_check_items' | 'agg_decisions' | 'agg_recognized_patients', value: RawBuilder<unknown>, values: string[]) =>
  sql`${sql.table(table)} a join hospitals h on h.id = a.receiving_hospital_id join items i on i.code = a.item_code
    where ${value} = any(${values}::text[])`;

const figures = sql.join(rollupFigureColumns.map((f) => sql.ref(f)));
const sums = sql.join(rollupFigureColumns.map((f) => sql`sum(${sql.ref(f)})`));

export async function recountRollupValues(trx: Transaction<DB>, dimension: RegroupedDimension, values: readonly string[]): Promise<void> {
  await takeAggregatorLock(trx);
  const value = valueOf[dimension];
  const list = [...values];
  const named = sql`dim_value = any(${list}::text[])`;
  for (const table of ['agg_rollup', 'agg_rollup_months', 'agg_patient_days'] as const) {
    await sql`delete from ${sql.table(table)} where dimension = ${dimension} and ${named}`.execute(trx);
  }
  // Patient-days of mutual recognitions, each (day, value, patient) once, as the aggregator keeps them.
  await sql`
    insert into agg_patient_days (dimension, local_day, dim_value, patient_hash)
    select distinct ${dimension}, a.local_day, ${value}, a.patient_hash
    from ${withValue('agg_recognized_patients', value, list)} and not a.same_hospital`.execute(trx);
  // Each figure per day as the aggregator counts it along a receiver-side dimension: the checks' and the
  // rate's numerator on the check's day (agg_check_items), the decisions' on theirs (agg_decisions, a
  // recognition of the receiver's own result apart), the patient-days just listed.
  await sql`
    insert into agg_rollup (dimension, local_day, dim_value, ${figures})
    select ${dimension}, local_day, dim_value, ${sums} from (
      select a.local_day, ${value} as dim_value, a.check_items, a.with_recognizable, a.recognized,
             0 as recognitions, 0 as declines, 0 as flagged_declines, 0 as yuan, 0 as minutes, 0 as radiation_msv,
             0 as own_recognitions, 0 as own_yuan, 0 as own_minutes, 0 as own_radiation_msv, 0 as patients
      from ${withValue('agg_check_items', value, list)}
      union all
      select a.local_day, ${value}, 0, 0, 0, ${decisionFigureValues(sql`a.same_hospital`, {
        recognitions: sql`a.recognitions`,
        declines: sql`a.declines`,
        flagged: sql`a.flagged_declines`,
        yuan: sql`a.yuan`,
        minutes: sql`a.minutes`,
        msv: sql`a.radiation_msv`,
      })}, 0
      from ${withValue('agg_decisions', value, list)}
      union all
      select p.local_day, p.dim_value, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
      from agg_patient_days p where p.dimension = ${dimension} and p.dim_value = any(${list}::text[])
    ) e
    group by local_day, dim_value`.execute(trx);
  // A month is the sum of its days, for every figure (patient-days too).
  await sql`
    insert into agg_rollup_months (dimension, month, dim_value, ${figures})
    select dimension, date_trunc('month', local_day)::date, dim_value, ${sums}
    from agg_rollup where dimension = ${dimension} and ${named}
    group by 1, 2, 3`.execute(trx);
}
