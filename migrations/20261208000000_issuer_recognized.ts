import { sql, type Kysely } from 'kysely';

// The recognition rate by issuer needs its numerator on the check's day, as its denominator is: of
// the check items an issuer's result was a recognisable candidate for, how many recognised one of
// that issuer's results. Without it a report by issuer for one hospital divided the recognitions of
// the decisions' days by the check items of the checks' days, and a check decided after midnight
// could give a rate above 1. The column is filled from the log for every decision already counted
// (those still queued are counted when the aggregator drains them); the day is the check's
// Asia/Shanghai calendar day, as the aggregator counts it.
const statements = [
  `alter table agg_issuer_candidates add column recognized integer not null default 0`,
  `comment on column agg_issuer_candidates.recognized is 'Of those check items, how many recognised a result of the issuer (counted on the check''s day): the recognition rate''s numerator by issuer'`,
  `insert into agg_issuer_candidates (local_day, issuing_hospital_id, receiving_hospital_id, item_code, recognized)
     select ((c.created_at at time zone 'UTC') + interval '8 hours')::date, d.issuing_hospital_id, d.receiving_hospital_id, d.item_code, count(*)
     from recognition_decisions d join recognition_checks c on c.id = d.check_id
     where d.action = 'recognized'
       and not exists (select from agg_pending p where p.route = d.check_id and p.decision_id = d.id)
     group by 1, 2, 3, 4
   on conflict (local_day, issuing_hospital_id, receiving_hospital_id, item_code) do update set recognized = excluded.recognized`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table agg_issuer_candidates drop column recognized`.execute(db);
}
