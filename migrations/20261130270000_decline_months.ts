import { sql, type Kysely } from 'kysely';

// Declines per Asia/Shanghai month, receiver and reason: a year of declines by reason or by hospital
// reads twelve months here and only the partial months' days from agg_declines (which also keeps
// the practitioner, and so folds nothing over a month).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table agg_decline_months (
    month date not null,
    receiving_hospital_id text not null,
    reason_code text not null,
    declines integer not null default 0,
    flagged integer not null default 0,
    primary key (month, receiving_hospital_id, reason_code)
  )`.execute(db);
  await sql`insert into agg_decline_months (month, receiving_hospital_id, reason_code, declines, flagged)
    select date_trunc('month', local_day)::date, receiving_hospital_id, reason_code, sum(declines), sum(flagged)
    from agg_declines group by 1, 2, 3`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists agg_decline_months`.execute(db);
}
