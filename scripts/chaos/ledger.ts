// What the chaos run's load saw, request by request: every acknowledged write (to verify against the
// database afterwards), every 503 and whether it carried Retry-After and problem+json, every other
// status and every transport error, and when each kind of request last succeeded (recovery times).

export const kinds = ['batch', 'put', 'check', 'decision'] as const;
export type Kind = (typeof kinds)[number];

export interface KindTally {
  attempts: number;
  ok: number;
  unavailable: number;
  /** Other statuses by code: 4xx are the load generator's or the service's mistake, 5xx a bug. */
  statuses: Record<string, number>;
  transportErrors: number;
  /** No answer within the client's bound (the service's handler timeout plus a margin). */
  hung: number;
  retried: number;
  /** 2xx answers replayed for an Idempotency-Key (a retry of a request whose first answer was lost). */
  replayed: number;
  /** 409s for an Idempotency-Key whose first request was still being answered (retried). */
  keyInUse: number;
  latencies: number[];
}

export interface Sample {
  at: number;
  kind: Kind;
  request: string;
  status: number | string;
  detail: string;
}

const maxSamples = 20;

export class Ledger {
  private started = performance.now();
  readonly tally = Object.fromEntries(kinds.map((k) => [k, emptyTally()])) as Record<Kind, KindTally>;
  /** Acknowledged results: accession number → resultId. */
  readonly results = new Map<string, string>();
  /** Acknowledged checks: checkId → the practitioner id that tags its request (one per logical check). */
  readonly checks = new Map<string, string>();
  /** Acknowledged decisions: decisionId → checkId. */
  readonly decisions = new Map<string, string>();
  /** Writes with at least one attempt that answered 503 or failed in transport, by their tag. */
  readonly failedResults = new Set<string>();
  readonly failedChecks = new Set<string>();
  readonly failedDecisions = new Set<string>();
  /** Milliseconds since `started` of every 2xx, per kind, in order. */
  readonly successTimes = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  readonly unavailableTimes: number[] = [];
  /** 503s lacking Retry-After or the problem+json content type. */
  readonly malformed503: Sample[] = [];
  readonly serverErrors: Sample[] = [];
  readonly otherSamples: Sample[] = [];
  readonly transportSamples: Sample[] = [];
  readonly transportCodes: Record<string, number> = {};
  /** Batch items the service rejected (a fault of this load generator, not of the service). */
  rejectedBatchItems = 0;
  /** How many 503s lacked Retry-After or problem+json (the first few are kept in malformed503). */
  malformedCount = 0;

  /** The load begins: times are counted from here. */
  begin() {
    this.started = performance.now();
  }

  now(): number {
    return performance.now() - this.started;
  }

  ok(kind: Kind, ms: number) {
    const t = this.tally[kind];
    t.attempts += 1;
    t.ok += 1;
    t.latencies.push(ms);
    this.successTimes[kind].push(this.now());
  }

  unavailable(kind: Kind, ms: number, request: string, retryAfter: string | undefined, contentType: string | undefined, body: string) {
    const t = this.tally[kind];
    t.attempts += 1;
    t.unavailable += 1;
    t.latencies.push(ms);
    this.unavailableTimes.push(this.now());
    const problem = (contentType ?? '').startsWith('application/problem+json');
    const retry = Number(retryAfter);
    if (problem && retry > 0) return;
    this.malformedCount += 1;
    if (this.malformed503.length < maxSamples) {
      this.malformed503.push(
        this.sample(kind, request, 503, `retry-after=${retryAfter ?? 'none'} content-type=${contentType ?? 'none'} ${body}`),
      );
    }
  }

  keyInUse(kind: Kind, ms: number) {
    const t = this.tally[kind];
    t.attempts += 1;
    t.keyInUse += 1;
    t.latencies.push(ms);
  }

  status(kind: Kind, ms: number, request: string, status: number, body: string) {
    const t = this.tally[kind];
    t.attempts += 1;
    t.latencies.push(ms);
    t.statuses[status] = (t.statuses[status] ?? 0) + 1;
    const list = status >= 500 ? this.serverErrors : this.otherSamples;
    if (list.length < maxSamples) list.push(this.sample(kind, request, status, body));
  }

  transport(kind: Kind, request: string, code: string, message: string, hung: boolean) {
    const t = this.tally[kind];
    t.attempts += 1;
    if (hung) t.hung += 1;
    else t.transportErrors += 1;
    this.transportCodes[code] = (this.transportCodes[code] ?? 0) + 1;
    if (this.transportSamples.length < maxSamples) this.transportSamples.push(this.sample(kind, request, code, message));
  }

  private sample(kind: Kind, request: string, status: number | string, detail: string): Sample {
    return { at: Math.round(this.now()), kind, request, status, detail: detail.slice(0, 500) };
  }
}

function emptyTally(): KindTally {
  return {
    attempts: 0,
    ok: 0,
    unavailable: 0,
    statuses: {},
    transportErrors: 0,
    hung: 0,
    retried: 0,
    replayed: 0,
    keyInUse: 0,
    latencies: [],
  };
}

/** The first time in the sorted `times` at or after `from`, or null. */
export function firstAtOrAfter(times: readonly number[], from: number): number | null {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < times.length ? times[lo] : null;
}

export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
