import { describe, expect, it } from 'vitest';
import { batching } from '../../src/db/batch.ts';

describe('batching', () => {
  it('runs the calls of one turn of the event loop as one batch and answers each its own output', async () => {
    const batches: number[][] = [];
    const square = batching(async (inputs: number[]) => {
      batches.push(inputs);
      return inputs.map((n) => n * n);
    });
    expect(await Promise.all([1, 2, 3, 4].map(square))).toEqual([1, 4, 9, 16]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    expect(await square(5)).toBe(25);
    expect(batches).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('never runs more than the largest batch at once', async () => {
    const sizes: number[] = [];
    const echo = batching(async (inputs: number[]) => {
      sizes.push(inputs.length);
      return inputs;
    }, 3);
    expect(await Promise.all(Array.from({ length: 7 }, (_, i) => echo(i)))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('reruns a failed batch call by call, so that only the call that fails is told', async () => {
    const runs: number[][] = [];
    const checked = batching(async (inputs: number[]) => {
      runs.push(inputs);
      if (inputs.includes(13)) throw new Error('13 refused');
      return inputs.map((n) => -n);
    });
    const settled = await Promise.allSettled([12, 13, 14].map(checked));
    expect(settled).toEqual([
      { status: 'fulfilled', value: -12 },
      { status: 'rejected', reason: new Error('13 refused') },
      { status: 'fulfilled', value: -14 },
    ]);
    expect(runs).toEqual([[12, 13, 14], [12], [13], [14]]);
  });
});
