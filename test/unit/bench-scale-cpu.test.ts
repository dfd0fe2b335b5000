import { describe, expect, it } from 'vitest';
import { backendTicksSince } from '../../scripts/bench/scale-cpu.ts';

describe("the benchmark's PostgreSQL CPU between two readings", () => {
  it('adds what each backend spent, one started since counted whole', () => {
    const before = new Map([
      [101, 500],
      [102, 40],
    ]);
    const after = new Map([
      [101, 530],
      [102, 41],
      [103, 7],
    ]);
    expect(backendTicksSince(before, after)).toBe(30 + 1 + 7);
  });

  it('leaves out a backend that ended, instead of subtracting its past from the step', () => {
    // A pool connection closed while idle and opened again: its 9,000 ticks before the step are not the step's.
    const before = new Map([
      [101, 9_000],
      [102, 100],
    ]);
    const after = new Map([
      [102, 160],
      [104, 25],
    ]);
    expect(backendTicksSince(before, after)).toBe(60 + 25);
  });

  it('is zero when nothing ran', () => {
    expect(backendTicksSince(new Map(), new Map())).toBe(0);
    expect(backendTicksSince(new Map([[1, 5]]), new Map([[1, 5]]))).toBe(0);
  });
});
