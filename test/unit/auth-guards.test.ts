import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKeyResolver } from '../../src/modules/auth/key-resolver.ts';
import { createLockout } from '../../src/modules/auth/lockout.ts';
import { createSecretVerifier, hashSecret } from '../../src/modules/auth/secrets.ts';

function clockAt(start: number) {
  let now = start;
  const clock = () => new Date(now);
  return Object.assign(clock, { advance: (ms: number) => (now += ms) });
}

describe('key resolver', () => {
  it('answers an unknown kid from memory, reading the keys again at most every five seconds', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'known', alg: 'ES256' };
    let reads = 0;
    const clock = clockAt(Date.parse('2026-12-01T00:00:00Z'));
    const resolver = createKeyResolver({ clock, loadKeys: async () => ((reads += 1), [jwk]), unknownKey: () => new Error('unknown kid') });
    await resolver.resolve({ kid: 'known', alg: 'ES256' });
    expect(reads).toBe(1);
    for (let i = 0; i < 50; i += 1) await expect(resolver.resolve({ kid: `made-up-${i}`, alg: 'ES256' })).rejects.toThrow('unknown kid');
    expect(reads).toBe(1);
    clock.advance(5_001);
    await expect(resolver.resolve({ kid: 'made-up', alg: 'ES256' })).rejects.toThrow('unknown kid');
    expect(reads).toBe(2);
    // Concurrent unknown kids after the interval share one read.
    clock.advance(5_001);
    await Promise.allSettled(Array.from({ length: 10 }, (_, i) => resolver.resolve({ kid: `other-${i}`, alg: 'ES256' })));
    expect(reads).toBe(3);
    // Known keys are read again every 30 s (a rotated-out key drops out).
    clock.advance(30_001);
    await resolver.resolve({ kid: 'known', alg: 'ES256' });
    expect(reads).toBe(4);
  });
});

describe('lock-out after failed client authentications', () => {
  it('locks a client and address pair after N failures, doubling each time, and a success clears the pair', () => {
    const clock = clockAt(0);
    const lockout = createLockout({ maxFailures: 3, lockoutSeconds: 60, clock });
    expect([lockout.failed('c', 'a1'), lockout.failed('c', 'a1')]).toEqual([false, false]);
    expect(lockout.retryAfterSeconds('c', 'a1')).toBe(0);
    expect(lockout.failed('c', 'a1')).toBe(true);
    expect(lockout.retryAfterSeconds('c', 'a1')).toBe(60);
    // The same client from another address is not locked: a guesser cannot lock a hospital out.
    expect(lockout.retryAfterSeconds('c', 'a2')).toBe(0);
    clock.advance(60_000);
    expect(lockout.retryAfterSeconds('c', 'a1')).toBe(0);
    for (let i = 0; i < 3; i += 1) lockout.failed('c', 'a1');
    expect(lockout.retryAfterSeconds('c', 'a1')).toBe(120);
    clock.advance(120_000);
    lockout.failed('c', 'a1');
    lockout.succeeded('c', 'a1');
    lockout.failed('c', 'a1');
    lockout.failed('c', 'a1');
    expect(lockout.retryAfterSeconds('c', 'a1')).toBe(0);
  });

  it('locks an address that fails for many client ids, after four times as many failures', () => {
    const lockout = createLockout({ maxFailures: 2, lockoutSeconds: 10, clock: clockAt(0) });
    for (let i = 0; i < 7; i += 1) lockout.failed(`client-${i}`, 'guesser');
    expect(lockout.retryAfterSeconds('fresh-client', 'guesser')).toBe(0);
    lockout.failed('client-7', 'guesser');
    expect(lockout.retryAfterSeconds('fresh-client', 'guesser')).toBe(10);
  });
});

describe('secret verifier', () => {
  const cheap = { N: 1024, r: 8, p: 1 };

  it('remembers a secret that verified, so its next use costs no hash; a wrong one never passes', async () => {
    const stored = await hashSecret('right-secret', cheap);
    const verify = createSecretVerifier({ maxConcurrent: 1, maxWaiting: 0 });
    expect(await verify('right-secret', stored)).toBe(true);
    // With no slot free and no waiting allowed, only a remembered secret can still pass.
    const blocker = verify('wrong-secret', await hashSecret('other', { N: 2 ** 15, r: 8, p: 1 }));
    expect(await verify('right-secret', stored)).toBe(true);
    await expect(verify('wrong-secret', stored)).rejects.toMatchObject({ status: 503 });
    expect(await blocker).toBe(false);
    expect(await verify('wrong-secret', stored)).toBe(false);
    expect(await verify('right-secret', await hashSecret('right-secret', cheap))).toBe(true);
  });

  it('hashes at most maxConcurrent at once and sheds beyond maxWaiting', async () => {
    const stored = await hashSecret('s', cheap);
    const verify = createSecretVerifier({ maxConcurrent: 2, maxWaiting: 3 });
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => verify(`wrong-${i}`, stored)));
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === false)).toHaveLength(5);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(3);
  });
});
