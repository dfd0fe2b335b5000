import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { shanghaiDaySql } from '../../db/sql.ts';
import { flowListsSql, patientHashSql } from './aggregates.ts';
import { rollupDimensions } from './dimensions.ts';
import { addToRollups, alongDimensions, checkFigures, decisionFigures, decisionFigureValues } from './rollups.ts';

/**
 * The report aggregates of a part of the log, in set-based SQL: the checks and decisions named by
 * the aggregator's drained queue, or every one of them for a rebuild. Every statement adds to what
 * is already counted (`insert … on conflict do update`), so counting the log in parts gives the
 * same aggregates as counting it whole.
 */
export type LogPart = { checkIds: string[]; decisionIds: string[] } | 'everything';

const checkDay = shanghaiDaySql('c.created_at');
const decisionDay = shanghaiDaySql('d.decided_at');

const checksIn = (part: LogPart) => (part === 'everything' ? sql`true` : sql`c.id = any(${part.checkIds}::uuid[])`);

/** What the decisions' counting reads of a decision and of its check. */
const decisionsWithChecks = sql`
  select d.id, d.action, d.flagged, d.reason_code, d.practitioner_id, d.receiving_hospital_id, d.issuing_hospital_id, d.item_code,
         d.yuan, d.minutes, d.radiation_msv, d.decided_at, c.created_at as checked_at, c.patient_key
  from recognition_decisions d join recognition_checks c on c.id = d.check_id`;
/** The check's day of a decision read from `decisionsOf`, on which the recognition rate's numerator counts. */
const decisionCheckDay = shanghaiDaySql('d.checked_at');

/**
 * The decisions of a part with what is counted of their checks, as a relation to read as `d`: for a
 * drained step, a temporary table read from the log once (the step's dozen statements then read it,
 * not the log; dropped at commit); for a rebuild, the log itself.
 */
async function decisionsOf(trx: Transaction<DB>, part: LogPart): Promise<RawBuilder<unknown>> {
  if (part === 'everything') return sql`(${decisionsWithChecks})`;
  // A caller counting several steps in one transaction (the demo loader) finds the last step's table.
  await sql`drop table if exists pg_temp.step_decisions`.execute(trx);
  await sql`create temporary table step_decisions on commit drop as ${decisionsWithChecks} where d.id = any(${part.decisionIds}::uuid[])`.execute(
    trx,
  );
  await sql`analyze pg_temp.step_decisions`.execute(trx);
  return sql`pg_temp.step_decisions`;
}

/** Check items per (check, item, issuer): whether that issuer had a recognisable candidate. */
const perIssuer = (part: LogPart) => sql`
  select ${checkDay} as local_day, cc.issuing_hospital_id, c.receiving_hospital_id, cc.item_code, bool_or(cc.outcome = 'RECOGNIZABLE') as recognizable
  from check_candidates cc join recognition_checks c on c.id = cc.check_id
  where ${checksIn(part)}
  group by 1, 2, 3, 4, cc.check_id`;

export async function countChecks(trx: Transaction<DB>, part: LogPart): Promise<void> {
  // The receiver's view: every check item, read once and counted per (day, receiver, item) for
  // agg_check_items and the roll-ups; the issuer's view: each check item it had a candidate for,
  // grouped once, for agg_issuer_candidates and for the roll-ups.
  await addToRollups(
    checkFigures,
    alongDimensions(
      checkFigures,
      sql`
      select r.local_day, true as receiver_side, r.receiving_hospital_id as receiver, h.city, r.item_code, i.category,
             null::text as issuer, r.check_items, r.with_recognizable
      from receiver_items r join hospitals h on h.id = r.receiving_hospital_id join items i on i.code = r.item_code
      union all
      select p.local_day, false, p.receiving_hospital_id, null, p.item_code, null, p.issuing_hospital_id, 1, p.recognizable::int
      from per_issuer p`,
    ),
    [
      sql`receiver_items as (
        select ${checkDay} as local_day, c.receiving_hospital_id, ci.item_code,
               count(*) as check_items, count(*) filter (where ci.has_recognizable) as with_recognizable
        from check_items ci join recognition_checks c on c.id = ci.check_id
        where ${checksIn(part)}
        group by 1, 2, 3
      )`,
      sql`item_counts as (
        insert into agg_check_items (local_day, receiving_hospital_id, item_code, check_items, with_recognizable)
        select local_day, receiving_hospital_id, item_code, check_items, with_recognizable from receiver_items
        on conflict (local_day, receiving_hospital_id, item_code) do update set
          check_items = agg_check_items.check_items + excluded.check_items,
          with_recognizable = agg_check_items.with_recognizable + excluded.with_recognizable
      )`,
      sql`per_issuer as (${perIssuer(part)})`,
      sql`issuer_counts as (
        insert into agg_issuer_candidates (local_day, issuing_hospital_id, receiving_hospital_id, item_code, check_items, with_recognizable)
        select local_day, issuing_hospital_id, receiving_hospital_id, item_code, count(*), count(*) filter (where recognizable)
        from per_issuer
        group by 1, 2, 3, 4
        on conflict (local_day, issuing_hospital_id, receiving_hospital_id, item_code) do update set
          check_items = agg_issuer_candidates.check_items + excluded.check_items,
          with_recognizable = agg_issuer_candidates.with_recognizable + excluded.with_recognizable
      )`,
    ],
  ).execute(trx);
}

export async function countDecisions(trx: Transaction<DB>, part: LogPart): Promise<void> {
  const decisions = await decisionsOf(trx, part);
  // The recognition rate's numerator counts on the check's day, like its denominator.
  await sql`
    insert into agg_check_items (local_day, receiving_hospital_id, item_code, recognized)
    select ${decisionCheckDay}, d.receiving_hospital_id, d.item_code, count(*)
    from ${decisions} d
    where d.action = 'recognized'
    group by 1, 2, 3
    on conflict (local_day, receiving_hospital_id, item_code) do update set recognized = agg_check_items.recognized + excluded.recognized`.execute(
    trx,
  );
  // And per issuer: the check items that recognised one of its results, against those it had a recognisable candidate for.
  await sql`
    insert into agg_issuer_candidates (local_day, issuing_hospital_id, receiving_hospital_id, item_code, recognized)
    select ${decisionCheckDay}, d.issuing_hospital_id, d.receiving_hospital_id, d.item_code, count(*)
    from ${decisions} d
    where d.action = 'recognized'
    group by 1, 2, 3, 4
    on conflict (local_day, issuing_hospital_id, receiving_hospital_id, item_code) do update set
      recognized = agg_issuer_candidates.recognized + excluded.recognized`.execute(trx);
  await sql`
    insert into agg_decisions (local_day, receiving_hospital_id, issuing_hospital_id, item_code, same_hospital,
                               recognitions, declines, flagged_declines, yuan, minutes, radiation_msv)
    select ${decisionDay}, d.receiving_hospital_id, d.issuing_hospital_id, d.item_code, d.receiving_hospital_id = d.issuing_hospital_id,
           count(*) filter (where d.action = 'recognized'), count(*) filter (where d.action = 'declined'),
           count(*) filter (where d.flagged), sum(d.yuan), sum(d.minutes), sum(d.radiation_msv)
    from ${decisions} d
    group by 1, 2, 3, 4, 5
    on conflict (local_day, receiving_hospital_id, issuing_hospital_id, item_code, same_hospital) do update set
      recognitions = agg_decisions.recognitions + excluded.recognitions, declines = agg_decisions.declines + excluded.declines,
      flagged_declines = agg_decisions.flagged_declines + excluded.flagged_declines, yuan = agg_decisions.yuan + excluded.yuan,
      minutes = agg_decisions.minutes + excluded.minutes, radiation_msv = agg_decisions.radiation_msv + excluded.radiation_msv`.execute(
    trx,
  );
  await sql`
    insert into agg_declines (local_day, receiving_hospital_id, practitioner_id, reason_code, declines, flagged)
    select ${decisionDay}, d.receiving_hospital_id, d.practitioner_id, d.reason_code, count(*), count(*) filter (where d.flagged)
    from ${decisions} d
    where d.action = 'declined'
    group by 1, 2, 3, 4
    on conflict (local_day, receiving_hospital_id, practitioner_id, reason_code) do update set
      declines = agg_declines.declines + excluded.declines, flagged = agg_declines.flagged + excluded.flagged`.execute(trx);
  // Declines per month by reason (for by reason and by hospital), and per month and year by practitioner.
  const declineTables = [
    ['agg_decline_months', 'reason_code', 'month'],
    ['agg_practitioner_months', 'practitioner_id', 'month'],
    ['agg_practitioner_years', 'practitioner_id', 'year'],
  ] as const;
  for (const [table, detail, unit] of declineTables) {
    await sql`
      insert into ${sql.table(table)} (${sql.ref(unit)}, receiving_hospital_id, ${sql.ref(detail)}, declines, flagged)
      select date_trunc(${unit}, ${decisionDay})::date, d.receiving_hospital_id, ${sql.ref(`d.${detail}`)}, count(*), count(*) filter (where d.flagged)
      from ${decisions} d
      where d.action = 'declined'
      group by 1, 2, 3
      on conflict (${sql.ref(unit)}, receiving_hospital_id, ${sql.ref(detail)}) do update set
        declines = ${sql.table(table)}.declines + excluded.declines, flagged = ${sql.table(table)}.flagged + excluded.flagged`.execute(trx);
  }
  await sql`
    insert into agg_recognized_patients (local_day, receiving_hospital_id, issuing_hospital_id, item_code, same_hospital, patient_hash)
    select distinct ${decisionDay}, d.receiving_hospital_id, d.issuing_hospital_id, d.item_code,
           d.receiving_hospital_id = d.issuing_hospital_id, ${patientHashSql('d.patient_key')}
    from ${decisions} d
    where d.action = 'recognized'
    on conflict do nothing`.execute(trx);
  // Flows per month and per year, keyed by the hospitals' numbers; then each issuer's month and year
  // whose flows changed, again as one row of lists (a statement of its own: it reads the new sums).
  const flowLevels = [
    ['month', 'agg_flow_months', 'agg_flow_month_issuers'],
    ['year', 'agg_flow_years', 'agg_flow_year_issuers'],
  ] as const;
  const mutualRecognitions = sql`d.action = 'recognized' and d.receiving_hospital_id <> d.issuing_hospital_id`;
  for (const [unit, pairs, issuers] of flowLevels) {
    await sql`
      insert into ${sql.table(pairs)} (${sql.ref(unit)}, issuer_num, receiver_num, recognitions, yuan)
      select date_trunc(${unit}, ${decisionDay})::date, i.num, r.num, count(*), sum(d.yuan)
      from ${decisions} d join hospitals i on i.id = d.issuing_hospital_id join hospitals r on r.id = d.receiving_hospital_id
      where ${mutualRecognitions}
      group by 1, 2, 3
      on conflict (${sql.ref(unit)}, issuer_num, receiver_num) do update set
        recognitions = ${sql.table(pairs)}.recognitions + excluded.recognitions, yuan = ${sql.table(pairs)}.yuan + excluded.yuan`.execute(
      trx,
    );
    await sql`
      insert into ${sql.table(issuers)} (${sql.ref(unit)}, issuer_num, receiver_nums, recognitions, fen)
      select f.${sql.ref(unit)}, f.issuer_num, ${flowListsSql}
      from ${sql.table(pairs)} f
      where (f.${sql.ref(unit)}, f.issuer_num) in (
        select date_trunc(${unit}, ${decisionDay})::date, i.num
        from ${decisions} d join hospitals i on i.id = d.issuing_hospital_id
        where ${mutualRecognitions})
      group by 1, 2
      on conflict (${sql.ref(unit)}, issuer_num) do update set
        receiver_nums = excluded.receiver_nums, recognitions = excluded.recognitions, fen = excluded.fen`.execute(trx);
  }

  // The roll-ups: the rate's numerator on the check's day, the rest on the decision's day; a
  // recognition of the receiver's own result is kept apart from mutual recognition.
  const decided = sql`
    ${decisions} d join hospitals h on h.id = d.receiving_hospital_id join items i on i.code = d.item_code,
    lateral (select d.receiving_hospital_id = d.issuing_hospital_id as same) s`;
  const side = sql`true as receiver_side, d.receiving_hospital_id as receiver, h.city, d.item_code, i.category, d.issuing_hospital_id as issuer`;
  await addToRollups(
    decisionFigures,
    alongDimensions(
      decisionFigures,
      sql`
    select ${decisionDay} as local_day, ${side}, 0 as recognized, ${decisionFigureValues(sql`same`, {
      recognitions: sql`(d.action = 'recognized')::int`,
      declines: sql`(d.action = 'declined')::int`,
      flagged: sql`d.flagged::int`,
      yuan: sql`d.yuan`,
      minutes: sql`d.minutes`,
      msv: sql`d.radiation_msv`,
    })}
    from ${decided}
    union all
    select ${decisionCheckDay}, ${side}, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    from ${decided} where d.action = 'recognized'`,
    ),
  ).execute(trx);

  // Patient-days of mutual recognitions: each (dimension, day, value, patient) counted once.
  await addToRollups(['patients'], sql`select dimension, local_day, dim_value, 1 as patients from fresh`, [
    sql`
    fresh as (
      insert into agg_patient_days (dimension, local_day, dim_value, patient_hash)
      select distinct dim.dimension, ev.local_day, dim.dim_value, ev.patient_hash
      from (select ${decisionDay} as local_day, d.receiving_hospital_id as receiver, h.city, d.item_code, i.category, d.issuing_hospital_id as issuer,
                   ${patientHashSql('d.patient_key')} as patient_hash
            from ${decided} where d.action = 'recognized' and not same) ev
      cross join lateral (values ${sql.join(rollupDimensions.map((d) => sql`(${sql.lit(d.name)}, ${sql.raw(d.value)})`))}) as dim(dimension, dim_value)
      on conflict do nothing
      returning dimension, local_day, dim_value
    )`,
  ]).execute(trx);
}
