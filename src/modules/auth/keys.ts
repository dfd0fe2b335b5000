import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import type { Database } from '../../db/database.ts';

/** The service's current ES256 signing key. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: 'ES256', use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

export async function importSigningKey(privateJwk: JWK): Promise<SigningKey> {
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk));
  const { d: _d, ...publicPart } = privateJwk;
  const privateKey = (await importJWK({ ...privateJwk, alg: 'ES256' }, 'ES256')) as CryptoKey;
  return { kid, privateKey, publicJwk: { ...publicPart, kid, alg: 'ES256', use: 'sig' } };
}

/**
 * Key rotation: every key the service has signed with is recorded with its public half. When the
 * configured key changes, the previous one is retired but still published and trusted until every
 * token it signed has expired (retired_at + token lifetime).
 */
export async function publishSigningKey(db: Database, key: SigningKey): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('signing_keys')
      .values({ kid: key.kid, public_jwk: JSON.stringify(key.publicJwk) })
      .onConflict((oc) => oc.column('kid').doUpdateSet({ retired_at: null }))
      .execute();
    await trx
      .updateTable('signing_keys')
      .set({ retired_at: new Date() })
      .where('kid', '<>', key.kid)
      .where('retired_at', 'is', null)
      .execute();
  });
}

/** Public keys still trusted at `now`: the current one and those retired less than a token lifetime ago. */
export async function trustedPublicKeys(db: Database, now: Date, tokenTtlSeconds: number): Promise<JWK[]> {
  const cutoff = new Date(now.getTime() - tokenTtlSeconds * 1000);
  const rows = await db
    .selectFrom('signing_keys')
    .select(['public_jwk'])
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', cutoff)]))
    .orderBy('first_used_at', 'desc')
    .execute();
  return rows.map((r) => r.public_jwk as JWK);
}
