import { sql, type Kysely } from 'kysely';

// Issuer → receiver flows per Asia/Shanghai month. Pairs hardly repeat within a day, so the daily
// aggregates hold about a row per recognition; a month folds them, and a flows report reads whole
// months here and only its partial months' days from agg_decisions.
const statements = [
  `create table agg_flow_months (
    month date not null,
    issuing_hospital_id text not null,
    receiving_hospital_id text not null,
    recognitions integer not null default 0,
    yuan numeric(16, 2) not null default 0,
    primary key (month, issuing_hospital_id, receiving_hospital_id)
  )`,
  `create index agg_flow_months_receiver_idx on agg_flow_months (receiving_hospital_id, month)`,
  `create index agg_flow_months_issuer_idx on agg_flow_months (issuing_hospital_id, month)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists agg_flow_months`.execute(db);
}
