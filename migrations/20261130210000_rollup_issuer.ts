import { sql, type Kysely } from 'kysely';

// The issuer's view (savings grouped by issuing hospital) joins the roll-ups: check items the
// issuer had a candidate for, on the check's day; its recognitions, on the decision's day.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table agg_rollup drop constraint agg_rollup_dimension_check`.execute(db);
  await sql`alter table agg_rollup add constraint agg_rollup_dimension_check
    check (dimension in ('all', 'receiver', 'item', 'category', 'city', 'issuer'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from agg_rollup where dimension = 'issuer'`.execute(db);
  await sql`delete from agg_patient_days where dimension = 'issuer'`.execute(db);
  await sql`alter table agg_rollup drop constraint agg_rollup_dimension_check`.execute(db);
  await sql`alter table agg_rollup add constraint agg_rollup_dimension_check
    check (dimension in ('all', 'receiver', 'item', 'category', 'city'))`.execute(db);
}
