import { sql, type Kysely } from 'kysely';

// The settings module: the regional rule settings, one row per version.
const statements = [
  `create table rule_sets (
    version integer primary key,
    tier_direction text not null check (tier_direction in ('symmetric', 'downward-only-outside-city')),
    lookback_days integer not null check (lookback_days > 0),
    created_at timestamptz not null default now(),
    created_by text not null
  )`,
  `comment on table rule_sets is 'Rule settings, every change a new version; each check and decision records the version it was judged under'`,
  `insert into rule_sets (version, tier_direction, lookback_days, created_by) values (1, 'symmetric', 365, 'migration')`,
  `create trigger rule_sets_registry_version after insert or update or delete or truncate on rule_sets for each statement execute function raise_registry_version()`,
  `create trigger rule_sets_no_delete before delete on rule_sets for each row execute function forbid_removal()`,
  `create trigger rule_sets_keep_key before update of version on rule_sets for each row when (old.version is distinct from new.version) execute function forbid_removal()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists rule_sets`.execute(db);
}
