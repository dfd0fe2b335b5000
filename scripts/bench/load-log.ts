// The recognition log, set-based: checks made on sampled prior results (the receiver mostly in the
// issuer's city, sometimes the issuer itself), 1-3 requested items each, one candidate (85%
// recognisable), decisions on the first `decisions` checks (88% recognised), and each check's audit
// event. Savings follow the receiver's price tier, as the service computes them.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.ts';
import { hospitalSlots, itemPopularity } from './province.ts';

export async function loadLog(
  db: Kysely<DB>,
  options: { now: Date; seed: number; decisions: number; results: number; log: (line: string) => void },
) {
  const checks = Math.ceil(options.decisions * 1.25);
  if (checks === 0) return { checks: 0, decisions: 0 };
  const seed = options.seed;
  const { slots, cityStart, cityLength } = hospitalSlots();
  // Extra requested items come from the popular end of the catalogue, as doctors order them.
  const codes = Object.keys(itemPopularity);
  const percent = Math.min(100, ((checks * 1.6) / Math.max(1, options.results)) * 100);
  const started = performance.now();
  await sql`create table gen_log as
    select s.*, gen_random_uuid() as check_id,
           case when gen_rand(s.n, ${seed} + 21) < 0.1 then s.issuer_num
                when gen_rand(s.n, ${seed} + 21) < 0.8
                  then (${slots}::int[])[1 + (${cityStart}::int[])[1 + s.city] + floor(gen_rand(s.n, ${seed} + 22) * (${cityLength}::int[])[1 + s.city])::int]
                else (${slots}::int[])[1 + floor(gen_rand(s.n, ${seed} + 22) * ${slots.length})::int] end as receiver_num
    from (
      -- A random order (a seeded hash of the accession number) picks which sampled results are checked
      -- and which checks are decided: the table's physical order would favour its oldest results.
      select row_number() over (order by hashtextextended(r.accession_no, ${seed})) as n, r.id as result_id, r.issuing_hospital_id, r.item_code, r.patient_key, r.performed_at,
             w.checked_at, h.num as issuer_num, h.city, i.validity_days, i.negative_list, i.category, i.prices, i.minutes_saved, i.radiation_msv
      from results r tablesample bernoulli (${percent}) repeatable (${seed})
      join gen_hospitals h on h.id = r.issuing_hospital_id
      join items i on i.code = r.item_code
      -- Checked at a random moment of the result's reuse window; a moment still to come is left out (not checked yet).
      cross join lateral (select r.performed_at + gen_rand(hashtextextended(r.accession_no, 0), ${seed} + 23) * make_interval(days => least(i.validity_days, 30)) as checked_at) w
      where r.kind <> 'conclusion' and r.status in ('final', 'amended', 'corrected') and w.checked_at <= ${options.now}::timestamptz
      order by n
      limit ${checks}
    ) s`.execute(db);
  await sql`alter table gen_log add column receiver_id text, add column price_tier text, add column recognizable boolean`.execute(db);
  await sql`update gen_log g set receiver_id = h.id, price_tier = hp.price_tier,
              recognizable = not g.negative_list and g.category <> 'pathology' and gen_rand(g.n, ${seed} + 24) < 0.85
            from gen_hospitals h join hospitals hp on hp.id = h.id where h.num = g.receiver_num`.execute(db);

  await sql`insert into recognition_checks (id, receiving_hospital_id, client_id, practitioner_id, patient_key, purpose, context, rule_set_version, created_at)
    select check_id, receiver_id, 'bench-' || receiver_id, 'DR-' || (1 + floor(gen_rand(n, ${seed} + 25) * 40)::int), patient_key, 'treatment',
           case when gen_rand(n, ${seed} + 26) < 0.05 then '{"emergency":true}'::jsonb else '{}'::jsonb end, 1, checked_at
    from gen_log`.execute(db);
  // The sampled result's item first, then up to two other items (no prior result for them).
  await sql`insert into check_items (check_id, item_code, position, has_recognizable)
    select g.check_id, g.item_code, 0, g.recognizable from gen_log g
    union all
    select g.check_id, i.code, k, false
    from gen_log g cross join lateral generate_series(1, floor(gen_rand(g.n, ${seed} + 27) * 3)::int) k
    cross join lateral (select (${codes}::text[])[1 + (floor(gen_rand(g.n, ${seed} + 28) * 50)::int + k * 7) % ${codes.length}] as code) i
    where i.code <> g.item_code`.execute(db);
  await sql`insert into check_candidates (check_id, item_code, result_id, issuing_hospital_id, outcome, retest_permitted, reasons, advisories, yuan, minutes, radiation_msv)
    select check_id, item_code, result_id, issuing_hospital_id,
           case when recognizable then 'RECOGNIZABLE' else 'NOT_RECOGNIZABLE' end,
           recognizable and gen_rand(n, ${seed} + 26) < 0.05,
           case when recognizable then '{}'::text[] when negative_list then '{NR_NEGATIVE_LIST}' when category = 'pathology' then '{NR_CONSULT_REQUIRED}'
                else '{NR_EXPIRED}' end,
           case when recognizable and gen_rand(n, ${seed} + 26) < 0.05 then '{D4_EMERGENCY}'::text[] else '{}'::text[] end,
           coalesce((prices ->> price_tier)::numeric, (select min(v::numeric) from jsonb_each_text(prices) as p(k, v))),
           minutes_saved,
           case when category in ('xray', 'ct', 'nuclear') then coalesce(radiation_msv, 0) else 0 end
    from gen_log`.execute(db);
  await sql`insert into recognition_decisions (check_id, item_code, result_id, receiving_hospital_id, issuing_hospital_id, client_id, practitioner_id,
                                               action, reason_code, reason_text, flagged, yuan, minutes, radiation_msv, rule_set_version, decided_at)
    select c.check_id, c.item_code, c.result_id, g.receiver_id, c.issuing_hospital_id, 'bench-' || g.receiver_id, ch.practitioner_id,
           d.action, d.reason, null, d.action = 'declined' and c.outcome = 'RECOGNIZABLE' and cardinality(c.advisories) = 0,
           case when d.action = 'recognized' then c.yuan else 0 end, case when d.action = 'recognized' then c.minutes else 0 end,
           case when d.action = 'recognized' then c.radiation_msv else 0 end, 1,
           least(${options.now}::timestamptz, g.checked_at + make_interval(secs => 60 + gen_rand(g.n, ${seed} + 29) * 600))
    from gen_log g
    join check_candidates c on c.check_id = g.check_id
    join recognition_checks ch on ch.id = g.check_id
    cross join lateral (select case when c.outcome = 'RECOGNIZABLE' and gen_rand(g.n, ${seed} + 30) < 0.88 then 'recognized' else 'declined' end as action) a
    cross join lateral (select a.action, case when a.action = 'recognized' then null
                               else (array['D1_CONDITION_CHANGED', 'D2_RAPID_CHANGE', 'D3_MAJOR_INTERVENTION', 'D4_EMERGENCY', 'D7_PATIENT_REQUEST',
                                           'D8_NO_REFERENCE_VALUE', 'D9_EQUIPMENT_QUALITY', 'D10_CRITICAL_FOLLOWUP'])[1 + floor(gen_rand(g.n, ${seed} + 31) * 8)::int] end as reason) d
    where g.n <= ${options.decisions}`.execute(db);
  await sql`insert into audit_events (occurred_at, action, client_id, hospital_id, practitioner_id, purpose, patient_key, check_id, route, result_ids)
    select ch.created_at, 'recognition.check', ch.client_id, ch.receiving_hospital_id, ch.practitioner_id, ch.purpose, ch.patient_key, ch.id, ch.id, array[g.result_id]
    from gen_log g join recognition_checks ch on ch.id = g.check_id`.execute(db);
  const { rows } = await sql<{ checks: number; decisions: number }>`
    select (select count(*) from recognition_checks)::int as checks, (select count(*) from recognition_decisions)::int as decisions`.execute(
    db,
  );
  await sql`drop table gen_log`.execute(db);
  options.log(
    `  log: ${rows[0].checks.toLocaleString('en')} checks, ${rows[0].decisions.toLocaleString('en')} decisions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return rows[0];
}
