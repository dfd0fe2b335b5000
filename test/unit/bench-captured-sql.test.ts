import { describe, expect, it } from 'vitest';
import { fromNow } from '../../scripts/bench/database.ts';

describe("the benchmark's captured statements for pgbench", () => {
  it("keep a time's distance from the clock: the look-back's start stays the look-back's length before now()", () => {
    const clock = new Date('2026-12-06T12:00:00Z');
    expect(fromNow(clock, clock)).toBe('now()');
    const lookbackStart = new Date(clock.getTime() - 180 * 86_400_000);
    expect(fromNow(clock, lookbackStart)).toBe(`(now() - interval '15552000000 milliseconds')`);
  });
});
