import { sql, type Kysely } from 'kysely';

// The auth module: API clients, the client assertions already used, and the service's signing keys.
const statements = [
  `create table clients (
    client_id text primary key,
    hospital_id text constraint clients_hospital_fk references hospitals (id),
    scopes text[] not null,
    secret_hash text,
    jwks jsonb,
    description text,
    created_at timestamptz not null default now(),
    disabled_at timestamptz,
    check ((secret_hash is null) <> (jwks is null))
  )`,
  `comment on table clients is 'OAuth clients: the administrators'' (no hospital) and each hospital''s, with a secret hash or a JWKS'`,
  `create index clients_hospital_idx on clients (hospital_id)`,
  // Every instance drops a changed client from its cache at once (LISTEN client_changes).
  `create function notify_client_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('client_changes', old.client_id);
      return null;
    end $$`,
  `create trigger clients_changed after update or delete on clients for each row execute function notify_client_change()`,
  `create table client_assertions (
    client_id text not null,
    jti text not null,
    expires_at timestamptz not null,
    primary key (client_id, jti)
  )`,
  `comment on table client_assertions is 'private_key_jwt assertions seen, until they expire: a jti is never accepted twice'`,
  `create index client_assertions_expiry_idx on client_assertions (expires_at)`,
  `create table signing_keys (
    kid text primary key,
    public_jwk jsonb not null,
    first_used_at timestamptz not null default now(),
    retired_at timestamptz
  )`,
  `comment on table signing_keys is 'Every key the service has signed access tokens with: a retired one stays trusted until its tokens expire'`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['signing_keys', 'client_assertions', 'clients']) await sql.raw(`drop table if exists ${table}`).execute(db);
  await sql`drop function if exists notify_client_change()`.execute(db);
}
