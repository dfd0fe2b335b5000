import { sql, type Kysely } from 'kysely';

// Declines per Asia/Shanghai year, receiver and practitioner: a year of declines by practitioner
// read ~140,000 monthly rows at 20 million results for ~15,000 practitioners; it now reads one
// year's rows and a month less some days, as flows do (src/modules/reports/periods.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table agg_practitioner_years (
    year date not null,
    receiving_hospital_id text not null,
    practitioner_id text not null,
    declines integer not null default 0,
    flagged integer not null default 0,
    primary key (year, receiving_hospital_id, practitioner_id)
  )`.execute(db);
  await sql`insert into agg_practitioner_years (year, receiving_hospital_id, practitioner_id, declines, flagged)
    select date_trunc('year', month)::date, receiving_hospital_id, practitioner_id, sum(declines), sum(flagged)
    from agg_practitioner_months group by 1, 2, 3`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists agg_practitioner_years`.execute(db);
}
