import { sql, type Kysely } from 'kysely';

// Every instance keeps the clients it authenticates in memory (src/modules/auth/client-cache.ts)
// and drops one when this trigger announces a change to it, whoever made the change (the API, a
// migration, an operator's SQL). NOTIFY is delivered when the changing transaction commits.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create function notify_client_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('client_changes', old.client_id);
      return null;
    end $$`.execute(db);
  await sql`create trigger clients_changed after update or delete on clients
    for each row execute function notify_client_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists clients_changed on clients`.execute(db);
  await sql`drop function if exists notify_client_change()`.execute(db);
}
