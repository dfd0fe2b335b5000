import { importJWK, type CryptoKey, type JWK, type JWTHeaderParameters } from 'jose';
import { sharedWhileInFlight } from '../../db/connection-tools.ts';

/** How often the trusted keys are read again: a rotated-out key drops out, another instance's new key comes in. */
const keysRefreshMs = 30_000;
/** An unknown kid triggers a read at most this often, so made-up kids cost no query each. */
const unknownKidRefreshMs = 5_000;

export interface KeyResolverOptions {
  clock: () => Date;
  /** The public keys trusted at `now` (the database's signing keys). */
  loadKeys: (now: Date) => Promise<JWK[]>;
  unknownKey: () => Error;
}

/** Trusted verification keys by kid, read every 30 s, or sooner (at most every 5 s) for an unknown kid. */
export function createKeyResolver(options: KeyResolverOptions) {
  let cache = new Map<string, CryptoKey>();
  let loadedAt = -Infinity;
  async function load() {
    const now = options.clock();
    const jwks = await options.loadKeys(now);
    const next = new Map<string, CryptoKey>();
    for (const jwk of jwks) next.set(String(jwk.kid), (await importJWK(jwk as JWK, 'ES256')) as CryptoKey);
    cache = next;
    loadedAt = now.getTime();
  }
  // Concurrent requests share one read.
  const reload = sharedWhileInFlight(load);
  return {
    resolve: async (header: JWTHeaderParameters): Promise<CryptoKey> => {
      const kid = header.kid ?? '';
      const age = options.clock().getTime() - loadedAt;
      if (age > keysRefreshMs || (!cache.has(kid) && age > unknownKidRefreshMs)) await reload();
      const key = cache.get(kid);
      if (!key) throw options.unknownKey();
      return key;
    },
  };
}

export type KeyResolver = ReturnType<typeof createKeyResolver>;
