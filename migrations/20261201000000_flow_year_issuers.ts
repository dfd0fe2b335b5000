import { sql, type Kysely } from 'kysely';

// Flows over a year ranked ~90,000 issuer → receiver pairs of agg_flow_years in SQL at 20 million
// results, and hashing that many rows per request took most of the report's time. Each issuer's
// year is also kept as one row of parallel arrays (receivers ascending, their recognitions and fen),
// so a year of flows reads one row per issuer and the report sums and ranks the pairs itself
// (src/modules/reports/flow-ranking.ts). agg_flow_years stays the source of these rows.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table agg_flow_year_issuers (
    year date not null,
    issuer_num integer not null,
    receiver_nums integer[] not null,
    recognitions integer[] not null,
    fen bigint[] not null,
    primary key (year, issuer_num)
  )`.execute(db);
  await sql`insert into agg_flow_year_issuers (year, issuer_num, receiver_nums, recognitions, fen)
    select year, issuer_num, array_agg(receiver_num order by receiver_num), array_agg(recognitions order by receiver_num),
           array_agg((yuan * 100)::bigint order by receiver_num)
    from agg_flow_years group by 1, 2`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table agg_flow_year_issuers`.execute(db);
}
