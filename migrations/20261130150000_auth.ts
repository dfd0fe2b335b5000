import { sql, type Kysely } from 'kysely';

// API clients (OAuth 2.0 client credentials), the public half of every signing key used, and
// the client-assertion ids already seen (RFC 7523 replay protection).
const statements = [
  `create table clients (
    client_id text primary key,
    hospital_id text,
    scopes text[] not null,
    secret_hash text,
    jwks jsonb,
    description text,
    created_at timestamptz not null default now(),
    disabled_at timestamptz,
    check ((secret_hash is null) <> (jwks is null))
  )`,
  `create index clients_hospital_idx on clients (hospital_id)`,
  `create table signing_keys (
    kid text primary key,
    public_jwk jsonb not null,
    first_used_at timestamptz not null default now(),
    retired_at timestamptz
  )`,
  `create table client_assertions (
    client_id text not null,
    jti text not null,
    expires_at timestamptz not null,
    primary key (client_id, jti)
  )`,
  `create index client_assertions_expiry_idx on client_assertions (expires_at)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['client_assertions', 'signing_keys', 'clients']) {
    await sql.raw(`drop table if exists ${table}`).execute(db);
  }
}
