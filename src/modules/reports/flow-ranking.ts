/**
 * Flows summed and ranked outside the database: a year of flows is ~90,000 issuer → receiver pairs
 * at 20 million results, and hashing them in SQL took most of the report's time. The database
 * answers one row per issuer and signed piece of the period (see periods.ts), its receivers with
 * their recognitions and fen as arrays in the same order (kept so for whole months and years); this
 * sums them per pair and ranks the pairs.
 */

/** One issuer's flows in one piece of a period: three arrays in the same order. */
export interface IssuerFlows {
  sign: number;
  issuer_num: number;
  receiver_nums: number[];
  recognitions: number[];
  fen: number[];
}

export interface Flow {
  issuer: number;
  receiver: number;
  recognitions: number;
  fen: number;
}

/** Most recognitions first, then most fen; ties by issuer, then receiver number. */
const byRank = (a: Flow, b: Flow) => b.recognitions - a.recognitions || b.fen - a.fen || a.issuer - b.issuer || a.receiver - b.receiver;

/**
 * The `limit` largest flows of the pieces, and how many pairs have recognitions in them, counting
 * only the pairs `keep` accepts. A pair's flow is the signed sum of its rows.
 */
export function rankFlows(
  pieces: Iterable<IssuerFlows>,
  limit: number,
  keep: (issuer: number, receiver: number) => boolean,
): { top: Flow[]; pairs: number } {
  const byIssuer = new Map<number, IssuerFlows[]>();
  for (const piece of pieces) {
    if (piece.receiver_nums.length === 0) continue;
    const rows = byIssuer.get(piece.issuer_num);
    if (rows) rows.push(piece);
    else byIssuer.set(piece.issuer_num, [piece]);
  }
  // One issuer at a time, its receivers' sums in arrays indexed by receiver number; the pairs with
  // recognitions go to parallel arrays, and only the top ones become objects.
  const sums = new ReceiverSums();
  const found: Flow[] = [];
  const issuers: number[] = [];
  const receivers: number[] = [];
  const counts: number[] = [];
  const fens: number[] = [];
  for (const [issuer, rows] of byIssuer) {
    const touched: number[] = [];
    for (const row of rows) {
      const { receiver_nums: nums, recognitions, fen, sign } = row;
      for (let k = 0; k < nums.length; k++) {
        const receiver = nums[k];
        if (sums.start(issuer, receiver)) touched.push(receiver);
        sums.recognitions[receiver] += sign * recognitions[k];
        sums.fen[receiver] += sign * fen[k];
      }
    }
    for (const receiver of touched) {
      if (sums.recognitions[receiver] > 0 && keep(issuer, receiver)) {
        issuers.push(issuer);
        receivers.push(receiver);
        counts.push(sums.recognitions[receiver]);
        fens.push(sums.fen[receiver]);
      }
    }
  }
  // Only the pairs with at least the limit-th most recognitions are sorted.
  const threshold = limit <= 0 ? Infinity : counts.length <= limit ? 0 : Int32Array.from(counts).sort()[counts.length - limit];
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] >= threshold) found.push({ issuer: issuers[i], receiver: receivers[i], recognitions: counts[i], fen: fens[i] });
  }
  return { top: found.sort(byRank).slice(0, Math.max(limit, 0)), pairs: counts.length };
}

/** Running sums per receiver number for the issuer being summed; grows with the largest number seen. */
class ReceiverSums {
  recognitions = new Float64Array(1024);
  fen = new Float64Array(1024);
  private owner = new Float64Array(1024).fill(-1);

  /** Starts the receiver at zero when it is new for this issuer; says whether it was. */
  start(issuer: number, receiver: number): boolean {
    if (receiver >= this.owner.length) this.grow(receiver + 1);
    if (this.owner[receiver] === issuer) return false;
    this.owner[receiver] = issuer;
    this.recognitions[receiver] = 0;
    this.fen[receiver] = 0;
    return true;
  }

  private grow(size: number) {
    const grown = (array: Float64Array, fill: number) => {
      const bigger = new Float64Array(Math.max(size, array.length * 2)).fill(fill);
      bigger.set(array);
      return bigger;
    };
    this.recognitions = grown(this.recognitions, 0);
    this.fen = grown(this.fen, 0);
    this.owner = grown(this.owner, -1);
  }
}
