import type { Config } from './config.ts';
import type { Database, DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrator.ts';
import { findClient } from './modules/auth/clients-repository.ts';
import { publishSigningKey } from './modules/auth/keys.ts';
import { hashSecret, verifySecret } from './modules/auth/secrets.ts';
import type { ServiceKeys } from './keys.ts';

/** Brings a database to the state the app expects: migrated, signing key published, admin client present. */
export async function prepareDatabase(database: DatabaseHandle, config: Config, keys: ServiceKeys): Promise<void> {
  // Migrations may rewrite large tables: they run without the request-path timeouts.
  await database.withoutLimits((db) => migrateToLatest(db));
  const db = database.db;
  await publishSigningKey(db, keys.signing);
  if (keys.adminClientSecret) await ensureAdminClient(db, config.auth.adminClientId, keys.adminClientSecret);
}

/** The bootstrap administrator follows the configuration: a changed ADMIN_CLIENT_SECRET replaces the stored hash. */
async function ensureAdminClient(db: Database, clientId: string, secret: string): Promise<void> {
  const existing = await findClient(db, clientId);
  if (existing?.secret_hash && (await verifySecret(secret, existing.secret_hash))) return;
  if (existing?.hospital_id) throw new Error(`ADMIN_CLIENT_ID ${clientId} names a hospital client`);
  const secretHash = await hashSecret(secret);
  await db
    .insertInto('clients')
    .values({ client_id: clientId, hospital_id: null, scopes: ['admin'], secret_hash: secretHash, jwks: null, description: 'Bootstrap administrator' })
    .onConflict((oc) => oc.column('client_id').doUpdateSet({ secret_hash: secretHash, jwks: null, scopes: ['admin'], disabled_at: null }))
    .execute();
}
