import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { backendTicksSince, processTree, treeSwitches } from '../../scripts/bench/scale-cpu.ts';

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

describe("the benchmark's context switches of the service", () => {
  it('counts a wait as a voluntary switch, and reads a child process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      await once(child, 'spawn');
      const before = treeSwitches(processTree(process.pid));
      await new Promise((resolve) => setTimeout(resolve, 50)); // this process's loop sleeps
      const after = treeSwitches(processTree(process.pid));
      expect(after.voluntary).toBeGreaterThan(before.voluntary);
      expect(after.involuntary).toBeGreaterThanOrEqual(before.involuntary);
      // A node process waits for its own threads while it starts.
      expect(treeSwitches(processTree(child.pid!)).voluntary).toBeGreaterThan(0);
    } finally {
      child.kill();
    }
  });

  it('reads a process that is gone as none', () => {
    expect(treeSwitches(processTree(2 ** 30))).toEqual({ voluntary: 0, involuntary: 0 });
  });
});
