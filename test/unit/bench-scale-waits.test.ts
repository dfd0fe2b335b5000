import { describe, expect, it } from 'vitest';
import { backendState, meanStates, walPerCheck } from '../../scripts/bench/scale-waits.ts';

const row = (state: string | null, wait_event_type: string | null = null, wait_event: string | null = null) => ({
  state,
  wait_event_type,
  wait_event,
});

describe("bench:scale's PostgreSQL connection states", () => {
  it('tells a core from the WAL, a lock, another wait and idleness', () => {
    expect(backendState(row('active'))).toBe('cpu');
    expect(backendState(row('active', 'IO', 'WALSync'))).toBe('wal');
    expect(backendState(row('active', 'LWLock', 'WALWrite'))).toBe('wal');
    expect(backendState(row('active', 'IO', 'WALInitWrite'))).toBe('wal');
    expect(backendState(row('active', 'Lock', 'advisory'))).toBe('lock');
    expect(backendState(row('active', 'Lock', 'transactionid'))).toBe('lock');
    expect(backendState(row('active', 'LWLock', 'BufferContent'))).toBe('other');
    expect(backendState(row('active', 'IO', 'DataFileRead'))).toBe('other');
    expect(backendState(row('idle', 'Client', 'ClientRead'))).toBe('idle');
    expect(backendState(row('idle in transaction', 'Client', 'ClientRead'))).toBe('idle');
    expect(backendState(row(null))).toBe('idle');
  });

  it('averages each state over the samples, counting a state missing from a sample as none', () => {
    expect(
      meanStates([
        ['cpu', 'idle', 'idle'],
        ['wal', 'idle', 'idle'],
        ['cpu', 'wal', 'lock', 'idle'],
      ]),
    ).toEqual({
      samples: 3,
      cpu: 0.67,
      wal: 0.67,
      lock: 0.33,
      other: 0,
      idle: 1.67,
    });
    expect(meanStates([])).toEqual({ samples: 0, cpu: 0, wal: 0, lock: 0, other: 0, idle: 0 });
  });

  it("says a step's WAL a check and checks a flush, and nothing for a step without checks or flushes", () => {
    const before = { bytes: 1_000_000, flushes: 100 };
    expect(walPerCheck(before, { bytes: 1_000_000 + 3 * 1024 * 1000, flushes: 300 }, 1000)).toEqual({
      kilobytesPerCheck: 3,
      checksPerFlush: 5,
    });
    expect(walPerCheck(before, before, 0)).toEqual({ kilobytesPerCheck: 0, checksPerFlush: 0 });
  });
});
