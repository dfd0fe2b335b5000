import type { Database } from '../../db/database.ts';
import { findClient } from './clients-repository.ts';
import { hashSecret, verifySecret } from './secrets.ts';

/** The bootstrap administrator follows the configuration: a changed ADMIN_CLIENT_SECRET replaces the stored hash. */
export async function ensureAdminClient(db: Database, clientId: string, secret: string): Promise<void> {
  const existing = await findClient(db, clientId);
  if (existing?.secret_hash && (await verifySecret(secret, existing.secret_hash))) return;
  if (existing?.hospital_id) throw new Error(`ADMIN_CLIENT_ID ${clientId} names a hospital client`);
  const secretHash = await hashSecret(secret);
  await db
    .insertInto('clients')
    .values({
      client_id: clientId,
      hospital_id: null,
      scopes: ['admin'],
      secret_hash: secretHash,
      jwks: null,
      description: 'Bootstrap administrator',
    })
    .onConflict((oc) => oc.column('client_id').doUpdateSet({ secret_hash: secretHash, jwks: null, scopes: ['admin'], disabled_at: null }))
    .execute();
}
