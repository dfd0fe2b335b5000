import { sql, type Kysely } from 'kysely';

// The CDS Hooks module: the cards it answered, so that feedback on a card names its candidate.
const statements = [
  `create table cds_cards (
    id uuid primary key,
    service_id text not null,
    hospital_id text not null,
    check_id uuid not null,
    item_code text not null,
    result_id uuid not null,
    created_at timestamptz not null default now()
  )`,
  `comment on table cds_cards is 'One row per CDS Hooks card: the card''s uuid (derived from the check, item and result, so the same card is never stored twice), the service that answered it, the receiving hospital, and the check candidate it shows; the check and hospital are recognition''s and the registry''s, referred to without foreign keys'`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists cds_cards`.execute(db);
}
