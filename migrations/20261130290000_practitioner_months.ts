import { sql, type Kysely } from 'kysely';

// Declines per Asia/Shanghai month, receiver and practitioner: a year of declines by practitioner
// reads twelve months here (about half the rows of its days in agg_declines, which also keeps the
// reason) and only the partial months' days from agg_declines.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table agg_practitioner_months (
    month date not null,
    receiving_hospital_id text not null,
    practitioner_id text not null,
    declines integer not null default 0,
    flagged integer not null default 0,
    primary key (month, receiving_hospital_id, practitioner_id)
  )`.execute(db);
  await sql`insert into agg_practitioner_months (month, receiving_hospital_id, practitioner_id, declines, flagged)
    select date_trunc('month', local_day)::date, receiving_hospital_id, practitioner_id, sum(declines), sum(flagged)
    from agg_declines group by 1, 2, 3`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists agg_practitioner_months`.execute(db);
}
