import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { maxRetryDelayMs, retryDelayMs } from '../../src/modules/webhooks/backoff.ts';
import { createSecretBox, generateSigningSecret, secretKey, signature } from '../../src/modules/webhooks/secrets.ts';

describe('webhook signing secrets', () => {
  it('are whsec_ and the base64 of 32 random bytes', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(secret)).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(secret);
  });

  it('sign as the standardwebhooks library verifies', () => {
    const secret = generateSigningSecret();
    const now = new Date();
    const timestamp = Math.floor(now.getTime() / 1000);
    const body = JSON.stringify({ type: 'recall.created', timestamp: now.toISOString(), data: { recallId: 'r-1' } });
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature(secret, 'msg_1', timestamp, body),
    };
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });

  it('are sealed with a key of their own, and open only with it', () => {
    const box = createSecretBox('a-patient-key-secret-of-at-least-32-characters');
    const secret = generateSigningSecret();
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(box.seal(secret)).not.toBe(sealed);
    expect(box.open(sealed)).toBe(secret);
    expect(() => createSecretBox('another-patient-key-secret-of-32-characters!').open(sealed)).toThrow();
    const [version, iv, data, tag] = sealed.split('.');
    const tampered = [
      version,
      iv,
      Buffer.from(data, 'base64url')
        .map((b, i) => (i === 0 ? b ^ 1 : b))
        .toString(),
      tag,
    ].join('.');
    expect(() => box.open(tampered)).toThrow();
    expect(() => box.open('not sealed')).toThrow();
  });
});

describe('webhook retry back-off', () => {
  it('doubles its ceiling with every attempt, up to six hours', () => {
    const top = () => 1;
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(attempts, 30_000, top))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(40, 30_000, top)).toBe(maxRetryDelayMs);
    expect(maxRetryDelayMs).toBe(6 * 3_600_000);
  });

  it('waits a random time below the ceiling (full jitter)', () => {
    expect(retryDelayMs(3, 1_000, () => 0)).toBe(0);
    expect(retryDelayMs(3, 1_000, () => 0.5)).toBe(2_000);
    for (let i = 0; i < 200; i += 1) {
      const delay = retryDelayMs(5, 1_000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(16_000);
    }
  });
});
