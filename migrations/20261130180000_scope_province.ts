import { sql, type Kysely } from 'kysely';

// Romanised city names repeat across provinces (Taizhou 台州/泰州, Suzhou 苏州/宿州): a city scope
// may name its province too.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table scopes add column province text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table scopes drop column province`.execute(db);
}
