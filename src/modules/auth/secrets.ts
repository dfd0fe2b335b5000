import { createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ServiceUnavailable } from '../../errors.ts';

const scrypt = (secret: string, salt: Buffer, length: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(secret, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

// scrypt (RFC 7914) with N=2^15: about 50 ms and 32 MiB per hash, slow enough to make a stolen
// table expensive to brute-force, cheap enough for a token request every few minutes per client.
const params = { N: 32_768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const keyLength = 32;

export type ScryptCost = Pick<typeof params, 'N' | 'r' | 'p'>;

/**
 * The cost is stored in the hash, so verifySecret needs no parameter. Pass a lower `cost` only for a
 * secret that is published anyway (the documented demo clients): hashing cannot protect it, and
 * full-cost hashing of every demo client would dominate the demo's first start.
 */
export async function hashSecret(secret: string, cost: ScryptCost = params): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, keyLength, { ...cost, maxmem: params.maxmem });
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: params.maxmem,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash of a random secret, verified against when a client id is unknown, so timing tells nothing. */
export const decoyHash = hashSecret(randomBytes(16).toString('hex'));

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface SecretVerifierOptions {
  /** Hashes computed at once (each takes ~50 ms of a core and 32 MiB); more wait in line. */
  maxConcurrent: number;
  /** Verifications allowed to wait; beyond them the request is shed (503). */
  maxWaiting: number;
}

/**
 * Verifies client secrets without letting guessers exhaust the machine. A secret that verified once
 * is remembered, as an HMAC under a key that lives only in this process, against the stored hash it
 * matched: a client presenting it again (every token request) costs no scrypt, and a changed secret
 * (a new stored hash) is verified afresh. Wrong secrets always cost a full hash, at most
 * `maxConcurrent` at a time.
 */
export function createSecretVerifier({ maxConcurrent, maxWaiting }: SecretVerifierOptions) {
  const key = randomBytes(32);
  const remembered = new Map<string, Buffer>();
  const maxRemembered = 10_000;
  let running = 0;
  const waiting: (() => void)[] = [];

  async function withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (running >= maxConcurrent) {
      if (waiting.length >= maxWaiting)
        throw new ServiceUnavailable('Too many client authentications at once; retry shortly', 'overloaded', 1);
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else running += 1;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  }

  return async (secret: string, storedHash: string): Promise<boolean> => {
    const digest = createHmac('sha256', key).update(secret).digest();
    const known = remembered.get(storedHash);
    if (known && timingSafeEqual(known, digest)) return true;
    const matches = await withSlot(() => verifySecret(secret, storedHash));
    if (matches) {
      if (remembered.size >= maxRemembered) remembered.delete(remembered.keys().next().value!);
      remembered.set(storedHash, digest);
    }
    return matches;
  };
}

export type SecretVerifier = ReturnType<typeof createSecretVerifier>;
