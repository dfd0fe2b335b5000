/**
 * Failed client authentications, counted in this process per (client id, source address) and per
 * source address. After `maxFailures` failures in a row a pair is locked out for `lockoutSeconds`,
 * doubled at every further lock-out up to an hour; an address alone after four times as many. A
 * success clears the pair. Locked-out attempts are refused before any secret is checked, so they cost
 * nothing. The client id is never locked on its own: a guesser elsewhere cannot lock a hospital out
 * of its own account.
 */
export interface LockoutOptions {
  maxFailures: number;
  lockoutSeconds: number;
  clock: () => Date;
}

interface Entry {
  failures: number;
  lockouts: number;
  lockedUntil: number;
}

const maxLockoutMs = 3_600_000;
const maxEntries = 100_000;

export function createLockout({ maxFailures, lockoutSeconds, clock }: LockoutOptions) {
  const entries = new Map<string, Entry>();
  const keysOf = (clientId: string, address: string) => [
    { key: `pair:${clientId}\u0000${address}`, threshold: maxFailures },
    { key: `address:${address}`, threshold: maxFailures * 4 },
  ];

  return {
    /** Seconds until this client may try again from this address; 0 when it may now. */
    retryAfterSeconds(clientId: string, address: string): number {
      const now = clock().getTime();
      const until = Math.max(0, ...keysOf(clientId, address).map(({ key }) => entries.get(key)?.lockedUntil ?? 0));
      return until > now ? Math.ceil((until - now) / 1000) : 0;
    },

    /** Counts a failure; true when it locked the pair or the address out. */
    failed(clientId: string, address: string): boolean {
      const now = clock().getTime();
      let locked = false;
      for (const { key, threshold } of keysOf(clientId, address)) {
        const entry = entries.get(key) ?? { failures: 0, lockouts: 0, lockedUntil: 0 };
        entry.failures += 1;
        if (entry.failures >= threshold) {
          entry.lockedUntil = now + Math.min(maxLockoutMs, lockoutSeconds * 1000 * 2 ** entry.lockouts);
          entry.lockouts += 1;
          entry.failures = 0;
          locked = true;
        }
        entries.delete(key);
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(key, entry);
      }
      return locked;
    },

    succeeded(clientId: string, address: string): void {
      entries.delete(keysOf(clientId, address)[0].key);
    },
  };
}

export type Lockout = ReturnType<typeof createLockout>;
