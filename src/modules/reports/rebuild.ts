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
    await sql`truncate agg_check_items, agg_issuer_candidates, agg_decisions, agg_declines, agg_recognized_patients`.execute(trx);
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
  });
}
