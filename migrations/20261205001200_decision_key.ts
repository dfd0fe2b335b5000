import { sql, type Kysely } from 'kysely';

// The recognition log's key holds the check id: every key of a table Citus distributes holds its
// distribution column, and the check log is distributed by check id there (docs/scaling.md). The id
// leads, so look-ups by id use the key's index as before.
const statements = [
  `alter table recognition_decisions drop constraint recognition_decisions_pkey`,
  `alter table recognition_decisions add constraint recognition_decisions_pkey primary key (id, check_id)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table recognition_decisions drop constraint recognition_decisions_pkey`.execute(db);
  await sql`alter table recognition_decisions add constraint recognition_decisions_pkey primary key (id)`.execute(db);
}
