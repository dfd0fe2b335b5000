import { describe, expect, it } from 'vitest';
import { uuidV7, uuidV7Bound } from '../../src/db/ids.ts';

describe('uuidV7', () => {
  it('is a version 7, variant 1 UUID with the millisecond first', () => {
    const at = Date.parse('2026-12-06T03:30:00.123Z');
    const id = uuidV7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by time across milliseconds, and is unique within one', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => uuidV7(1_700_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(1000);
    for (let i = 10; i < ids.length; i += 10) expect(ids[i - 1] < ids[i]).toBe(true);
  });

  it('bounds the ids made before a time from those made at or after it', () => {
    const at = Date.parse('2026-12-06T03:30:00.123Z');
    const bound = uuidV7Bound(new Date(at));
    for (let i = 0; i < 100; i++) {
      expect(uuidV7(at - 1) < bound).toBe(true);
      expect(uuidV7(at) > bound).toBe(true);
    }
  });
});
