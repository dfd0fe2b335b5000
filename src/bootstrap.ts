import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrator.ts';
import type { ServiceKeys } from './keys.ts';
import { ensureAdminClient, publishSigningKey } from './modules/auth/index.ts';

/** Brings a database to the state the app expects: migrated, signing key published, admin client present. */
export async function prepareDatabase(database: DatabaseHandle, config: Config, keys: ServiceKeys): Promise<void> {
  // Migrations may rewrite large tables: they run without the request-path timeouts.
  await database.withoutLimits((db) => migrateToLatest(db));
  await publishSigningKey(database.db, keys.signing);
  if (keys.adminClientSecret) await ensureAdminClient(database.db, config.auth.adminClientId, keys.adminClientSecret);
}
