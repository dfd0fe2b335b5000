/**
 * Flows summed and ranked outside the database: a year of flows is ~90,000 issuer → receiver pairs
 * at 20 million results, and hashing them in SQL took most of the report's time. The database
 * answers one row per issuer and signed piece of the period (see periods.ts), its receivers with
 * their recognitions and fen as comma-separated lists; this sums them per pair and ranks the pairs.
 */

/** One issuer's flows in one piece of a period: three comma-separated lists in the same order. */
export interface IssuerFlows {
  sign: number;
  issuer_num: number;
  receiver_nums: string;
  recognitions: string;
  fen: string;
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
export function rankFlows(pieces: Iterable<IssuerFlows>, limit: number, keep: (issuer: number, receiver: number) => boolean): { top: Flow[]; pairs: number } {
  const byIssuer = new Map<number, IssuerFlows[]>();
  for (const piece of pieces) {
    if (piece.receiver_nums === '') continue;
    const rows = byIssuer.get(piece.issuer_num);
    if (rows) rows.push(piece);
    else byIssuer.set(piece.issuer_num, [piece]);
  }
  // One issuer at a time, its receivers' sums in arrays indexed by receiver number.
  let recognitions = new Float64Array(1024);
  let fen = new Float64Array(1024);
  let seenBy = new Float64Array(1024).fill(-1);
  const flows: Flow[] = [];
  for (const [issuer, rows] of byIssuer) {
    const receivers: number[] = [];
    for (const row of rows) {
      const nums = row.receiver_nums.split(',');
      const counts = row.recognitions.split(',');
      const fens = row.fen.split(',');
      for (let j = 0; j < nums.length; j++) {
        const receiver = Number(nums[j]);
        if (receiver >= recognitions.length) {
          const size = Math.max(receiver + 1, recognitions.length * 2);
          recognitions = grown(recognitions, size, 0);
          fen = grown(fen, size, 0);
          seenBy = grown(seenBy, size, -1);
        }
        if (seenBy[receiver] !== issuer) {
          seenBy[receiver] = issuer;
          recognitions[receiver] = 0;
          fen[receiver] = 0;
          receivers.push(receiver);
        }
        recognitions[receiver] += row.sign * Number(counts[j]);
        fen[receiver] += row.sign * Number(fens[j]);
      }
    }
    for (const receiver of receivers) {
      if (recognitions[receiver] > 0 && keep(issuer, receiver)) flows.push({ issuer, receiver, recognitions: recognitions[receiver], fen: fen[receiver] });
    }
  }
  return { top: largest(flows, limit), pairs: flows.length };
}

function grown(array: Float64Array<ArrayBuffer>, size: number, fill: number): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(size).fill(fill);
  bigger.set(array);
  return bigger;
}

/** The `limit` first flows by rank: only the flows with at least the limit-th most recognitions are sorted. */
function largest(flows: Flow[], limit: number): Flow[] {
  if (limit <= 0) return [];
  let candidates = flows;
  if (flows.length > limit) {
    const counts = Float64Array.from(flows, (f) => f.recognitions).sort();
    const threshold = counts[counts.length - limit];
    candidates = flows.filter((f) => f.recognitions >= threshold);
  }
  return candidates.sort(byRank).slice(0, limit);
}
