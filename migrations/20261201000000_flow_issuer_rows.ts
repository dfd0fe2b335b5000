import { sql, type Kysely } from 'kysely';

// Flows over a year ranked ~90,000 issuer → receiver pairs at 20 million results, and hashing that
// many rows per request took most of the report's time. Each issuer's month and year is also kept
// as one row of three comma-separated lists (receivers ascending, their recognitions and yuan in
// fen), so a year of flows reads one row per issuer and piece, and the report sums and ranks the
// pairs itself (src/modules/reports/flow-ranking.ts). The lists are text because the report reads
// them as text: converting ~270,000 array elements per request took longer than the rest of the
// read. agg_flow_months and agg_flow_years stay their source.
const tables = [['agg_flow_month_issuers', 'agg_flow_months', 'month'], ['agg_flow_year_issuers', 'agg_flow_years', 'year']];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, source, unit] of tables) {
    await sql.raw(`create table ${table} (
      ${unit} date not null,
      issuer_num integer not null,
      receiver_nums text not null,
      recognitions text not null,
      fen text not null,
      primary key (${unit}, issuer_num)
    )`).execute(db);
    await sql.raw(`insert into ${table} (${unit}, issuer_num, receiver_nums, recognitions, fen)
      select ${unit}, issuer_num, string_agg(receiver_num::text, ',' order by receiver_num), string_agg(recognitions::text, ',' order by receiver_num),
             string_agg(((yuan * 100)::bigint)::text, ',' order by receiver_num)
      from ${source} group by 1, 2`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table] of tables) await sql.raw(`drop table ${table}`).execute(db);
}
