import { describe, expect, it } from 'vitest';
import { retryTransient } from '../../src/db/retry.ts';

const failing = (codes: string[]) => {
  let calls = 0;
  const work = async () => {
    const code = codes[calls++];
    if (code) throw Object.assign(new Error(`failed with ${code}`), { code });
    return calls;
  };
  return { work, calls: () => calls };
};

describe('retryTransient', () => {
  it('runs the work again after a deadlock or a serialization failure', async () => {
    const { work } = failing(['40P01', '40001']);
    await expect(retryTransient(work)).resolves.toBe(3);
  });

  it('gives up after the last attempt, and never retries other errors', async () => {
    const deadlocks = failing(['40P01', '40P01', '40P01']);
    await expect(retryTransient(deadlocks.work)).rejects.toThrow(/40P01/);
    expect(deadlocks.calls()).toBe(3);
    const unique = failing(['23505']);
    await expect(retryTransient(unique.work)).rejects.toThrow(/23505/);
    expect(unique.calls()).toBe(1);
  });
});
