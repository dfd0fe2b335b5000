import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { patientHashSql, shanghaiDaySql } from './aggregates.ts';

const checkDay = shanghaiDaySql('c.created_at');
const decisionDay = shanghaiDaySql('d.decided_at');

/**
 * Recomputes every report aggregate from the log with set-based SQL, in one transaction: after a
 * bulk load, and as the reference the incremental counts are tested against.
 */
export async function rebuildAggregates(db: Kysely<DB>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`truncate agg_check_items, agg_issuer_candidates, agg_decisions, agg_declines, agg_recognized_patients, agg_rollup, agg_patient_days, agg_flow_months`.execute(trx);
    await sql`
      insert into agg_check_items (local_day, receiving_hospital_id, item_code, check_items, with_recognizable, recognized)
      select ${checkDay}, c.receiving_hospital_id, ci.item_code, count(*),
             count(*) filter (where ci.has_recognizable),
             count(*) filter (where exists (
               select 1 from recognition_decisions d
               where d.check_id = ci.check_id and d.item_code = ci.item_code and d.action = 'recognized'))
      from check_items ci join recognition_checks c on c.id = ci.check_id
      group by 1, 2, 3`.execute(trx);
    await sql`
      insert into agg_issuer_candidates (local_day, issuing_hospital_id, receiving_hospital_id, item_code, check_items, with_recognizable)
      select day, issuing_hospital_id, receiving_hospital_id, item_code, count(*), count(*) filter (where recognizable)
      from (
        select ${checkDay} as day, cc.issuing_hospital_id, c.receiving_hospital_id, cc.item_code, cc.check_id,
               bool_or(cc.outcome = 'RECOGNIZABLE') as recognizable
        from check_candidates cc join recognition_checks c on c.id = cc.check_id
        group by 1, 2, 3, 4, 5
      ) per_check_item
      group by 1, 2, 3, 4`.execute(trx);
    await sql`
      insert into agg_decisions (local_day, receiving_hospital_id, issuing_hospital_id, item_code, same_hospital,
                                 recognitions, declines, flagged_declines, yuan, minutes, radiation_msv)
      select ${decisionDay}, d.receiving_hospital_id, d.issuing_hospital_id, d.item_code,
             d.receiving_hospital_id = d.issuing_hospital_id,
             count(*) filter (where d.action = 'recognized'), count(*) filter (where d.action = 'declined'),
             count(*) filter (where d.flagged), sum(d.yuan), sum(d.minutes), sum(d.radiation_msv)
      from recognition_decisions d
      group by 1, 2, 3, 4, 5`.execute(trx);
    await sql`
      insert into agg_declines (local_day, receiving_hospital_id, practitioner_id, reason_code, declines, flagged)
      select ${decisionDay}, d.receiving_hospital_id, d.practitioner_id, d.reason_code, count(*), count(*) filter (where d.flagged)
      from recognition_decisions d where d.action = 'declined'
      group by 1, 2, 3, 4`.execute(trx);
    await sql`
      insert into agg_recognized_patients (local_day, receiving_hospital_id, issuing_hospital_id, item_code, same_hospital, patient_hash)
      select distinct ${decisionDay}, d.receiving_hospital_id, d.issuing_hospital_id, d.item_code,
             d.receiving_hospital_id = d.issuing_hospital_id, ${patientHashSql('c.patient_key')}
      from recognition_decisions d join recognition_checks c on c.id = d.check_id
      where d.action = 'recognized'`.execute(trx);
    // The roll-ups, from the same events: check items on the check's day, the recognition-rate
    // numerator on the check's day, decisions on the decision's day; one row per dimension.
    await sql`
      insert into agg_rollup (dimension, local_day, dim_value, shard, check_items, with_recognizable, recognized, recognitions, declines,
                              flagged_declines, yuan, minutes, radiation_msv, own_recognitions, own_yuan, own_minutes, own_radiation_msv)
      select dim.dimension, e.local_day, dim.dim_value, 0, sum(e.check_items), sum(e.with_recognizable), sum(e.recognized), sum(e.recognitions),
             sum(e.declines), sum(e.flagged_declines), sum(e.yuan), sum(e.minutes), sum(e.radiation_msv), sum(e.own_recognitions),
             sum(e.own_yuan), sum(e.own_minutes), sum(e.own_radiation_msv)
      from (
        select ${checkDay} as local_day, c.receiving_hospital_id as receiver, ci.item_code, null as issuer, true as receiver_side, 1 as check_items,
               ci.has_recognizable::int as with_recognizable, 0 as recognized, 0 as recognitions, 0 as declines, 0 as flagged_declines,
               0::numeric as yuan, 0::bigint as minutes, 0::numeric as radiation_msv, 0 as own_recognitions, 0::numeric as own_yuan,
               0::bigint as own_minutes, 0::numeric as own_radiation_msv
        from check_items ci join recognition_checks c on c.id = ci.check_id
        union all
        -- the issuer's view of checks: the per-issuer candidate counts, rebuilt above
        select a.local_day, a.receiving_hospital_id, a.item_code, a.issuing_hospital_id, false, a.check_items, a.with_recognizable,
               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        from agg_issuer_candidates a
        union all
        select ${checkDay}, d.receiving_hospital_id, d.item_code, d.issuing_hospital_id, true, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        from recognition_decisions d join recognition_checks c on c.id = d.check_id
        where d.action = 'recognized'
        union all
        select ${decisionDay}, d.receiving_hospital_id, d.item_code, d.issuing_hospital_id, true, 0, 0, 0,
               (d.action = 'recognized' and not same)::int, (d.action = 'declined')::int, d.flagged::int,
               case when same then 0 else d.yuan end, case when same then 0 else d.minutes end, case when same then 0 else d.radiation_msv end,
               (d.action = 'recognized' and same)::int, case when same then d.yuan else 0 end, case when same then d.minutes else 0 end,
               case when same then d.radiation_msv else 0 end
        from recognition_decisions d, lateral (select d.receiving_hospital_id = d.issuing_hospital_id as same) s
      ) e
      join hospitals h on h.id = e.receiver
      join items i on i.code = e.item_code
      cross join lateral (values ('all', '', e.receiver_side), ('receiver', e.receiver, e.receiver_side), ('item', e.item_code, e.receiver_side),
                                 ('category', i.category, e.receiver_side), ('city', h.city, e.receiver_side), ('issuer', e.issuer, e.issuer is not null))
        as dim(dimension, dim_value, included)
      where dim.included
      group by 1, 2, 3`.execute(trx);
    await sql`
      insert into agg_flow_months (month, issuing_hospital_id, receiving_hospital_id, recognitions, yuan)
      select date_trunc('month', ${decisionDay})::date, d.issuing_hospital_id, d.receiving_hospital_id, count(*), sum(d.yuan)
      from recognition_decisions d
      where d.action = 'recognized' and d.receiving_hospital_id <> d.issuing_hospital_id
      group by 1, 2, 3`.execute(trx);
    // Patient-days of mutual recognitions along each dimension, then their counts on the roll-ups.
    await sql`
      insert into agg_patient_days (dimension, local_day, dim_value, patient_hash)
      select distinct dim.dimension, p.local_day, dim.dim_value, p.patient_hash
      from agg_recognized_patients p
      join hospitals h on h.id = p.receiving_hospital_id
      join items i on i.code = p.item_code
      cross join lateral (values ('all', ''), ('receiver', p.receiving_hospital_id), ('item', p.item_code), ('category', i.category), ('city', h.city),
                                 ('issuer', p.issuing_hospital_id))
        as dim(dimension, dim_value)
      where not p.same_hospital`.execute(trx);
    await sql`
      update agg_rollup r set patients = p.n
      from (select dimension, local_day, dim_value, count(*) as n from agg_patient_days group by 1, 2, 3) p
      where r.dimension = p.dimension and r.local_day = p.local_day and r.dim_value = p.dim_value and r.shard = 0`.execute(trx);
  });
}
