import { describe, expect, it } from 'vitest';
import { rankFlows, type Flow, type IssuerFlows } from '../../src/modules/reports/flow-ranking.ts';

/** One issuer's piece from [receiver, recognitions, fen] triples. */
const piece = (issuer: number, flows: [number, number, number][], sign = 1): IssuerFlows => ({
  sign,
  issuer_num: issuer,
  receiver_nums: flows.map((f) => f[0]),
  recognitions: flows.map((f) => f[1]),
  fen: flows.map((f) => f[2]),
});
const everyPair = () => true;
const flow = (issuer: number, receiver: number, recognitions: number, fen: number): Flow => ({ issuer, receiver, recognitions, fen });

describe('rankFlows', () => {
  it('sums each pair over the pieces with their signs, and leaves out pairs with no recognitions left', () => {
    const pieces = [
      piece(1, [
        [2, 10, 5000],
        [3, 4, 800],
      ]), // the year
      piece(
        1,
        [
          [2, 3, 1500],
          [3, 4, 800],
        ],
        -1,
      ), // less a month
      piece(1, [
        [2, 1, 100],
        [2, 1, 100],
      ]), // plus days (a receiver may repeat)
      piece(2, [[1, 5, 1000]]),
    ];
    expect(rankFlows(pieces, 10, everyPair)).toEqual({ top: [flow(1, 2, 9, 3700), flow(2, 1, 5, 1000)], pairs: 2 });
  });

  it('ranks by recognitions, then fen, then issuer and receiver number, and cuts at the limit', () => {
    const pieces = [
      piece(3, [
        [1, 5, 100],
        [2, 5, 900],
      ]),
      piece(1, [
        [3, 5, 100],
        [2, 7, 0],
      ]),
      piece(2, [[1, 5, 100]]),
    ];
    const all = [flow(1, 2, 7, 0), flow(3, 2, 5, 900), flow(1, 3, 5, 100), flow(2, 1, 5, 100), flow(3, 1, 5, 100)];
    expect(rankFlows(pieces, 10, everyPair)).toEqual({ top: all, pairs: 5 });
    // Ties at the cut are ranked, not taken in any order.
    expect(rankFlows(pieces, 3, everyPair)).toEqual({ top: all.slice(0, 3), pairs: 5 });
    expect(rankFlows(pieces, 1, everyPair)).toEqual({ top: all.slice(0, 1), pairs: 5 });
  });

  it('counts and ranks only the pairs kept', () => {
    const pieces = [
      piece(1, [
        [2, 9, 0],
        [3, 8, 0],
      ]),
      piece(2, [[3, 7, 0]]),
    ];
    expect(rankFlows(pieces, 10, (issuer, receiver) => receiver === 3)).toEqual({ top: [flow(1, 3, 8, 0), flow(2, 3, 7, 0)], pairs: 2 });
  });

  it('takes any hospital number and skips empty pieces', () => {
    const pieces = [
      piece(70_000, [[50_000, 2, 10]]),
      { sign: 1, issuer_num: 5, receiver_nums: [], recognitions: [], fen: [] },
      piece(5, [[1, 1, 1]]),
    ];
    expect(rankFlows(pieces, 10, everyPair)).toEqual({ top: [flow(70_000, 50_000, 2, 10), flow(5, 1, 1, 1)], pairs: 2 });
  });

  it('agrees with summing and sorting every pair, on random pieces', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      const pieces: IssuerFlows[] = [];
      for (let i = 0; i < 60; i++) {
        const triples: [number, number, number][] = Array.from({ length: 1 + random(20) }, () => [1 + random(40), random(6), random(1000)]);
        pieces.push(piece(1 + random(40), triples, random(4) === 0 ? -1 : 1));
      }
      const sums = new Map<string, Flow>();
      for (const p of pieces) {
        const { receiver_nums: receivers, recognitions: counts, fen: fens } = p;
        receivers.forEach((receiver, j) => {
          const key = `${p.issuer_num}-${receiver}`;
          const sum = sums.get(key) ?? flow(p.issuer_num, receiver, 0, 0);
          sum.recognitions += p.sign * counts[j];
          sum.fen += p.sign * fens[j];
          sums.set(key, sum);
        });
      }
      const expected = [...sums.values()]
        .filter((f) => f.recognitions > 0)
        .sort((a, b) => b.recognitions - a.recognitions || b.fen - a.fen || a.issuer - b.issuer || a.receiver - b.receiver);
      const limit = 1 + random(30);
      expect(rankFlows(pieces, limit, everyPair)).toEqual({ top: expected.slice(0, limit), pairs: expected.length });
    }
  });
});
