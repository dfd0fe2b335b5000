// The load generator: closed loop (N connections, each sends its next request when the previous one
// is answered) and open loop (each request has its own scheduled start time, every 1/rate s; latency
// is measured from that scheduled time, so a stalled server is charged for the requests it delayed:
// no coordinated omission, and no per-second bursts). Requests go over `http1.ts`'s lean connections.
import { setTimeout as sleep } from 'node:timers/promises';
import { Http1Connection, type Http1Answer, type Http1Request } from './http1.ts';

/** A request of the benchmark's, as the load generator's client sends it. */
export type Request = Http1Request;

export interface Measurement {
  requests: number;
  errors: number;
  seconds: number;
  throughput: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  /** The first few error descriptions, to tell a 4xx from a timeout. */
  errorSamples: string[];
}

export type NextRequest = (i: number) => Request;

class Recorder {
  private latencies: number[] = [];
  errors = 0;
  errorSamples: string[] = [];

  record(ms: number, status: number, expected: number[], detail = '') {
    this.latencies.push(ms);
    if (!expected.includes(status)) this.fail(`${status} ${detail}`.trim());
  }

  fail(sample: string) {
    this.errors += 1;
    if (this.errorSamples.length < 5) this.errorSamples.push(sample.slice(0, 300));
  }

  summary(seconds: number): Measurement {
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return {
      requests: sorted.length,
      errors: this.errors,
      seconds,
      throughput: sorted.length / seconds,
      p50: at(0.5),
      p90: at(0.9),
      p95: at(0.95),
      p99: at(0.99),
      p999: at(0.999),
      max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
      errorSamples: this.errorSamples,
    };
  }
}

async function send(sender: Sender, request: Request, recorder: Recorder, startedAt: number, expected: number[]): Promise<void> {
  try {
    const answer = await sender.send(request);
    const ms = performance.now() - startedAt;
    if (expected.includes(answer.status)) recorder.record(ms, answer.status, expected);
    else recorder.record(ms, answer.status, expected, answer.body.toString());
  } catch (error) {
    recorder.fail(error instanceof Error ? error.message : String(error));
  }
}

interface Sender {
  send(request: Request): Promise<Http1Answer>;
}

/** Up to `most` connections to `origin`, each lent for one request at a time; a request beyond them waits its turn. */
class ConnectionPool implements Sender {
  private readonly opened: Http1Connection[] = [];
  private readonly idle: Http1Connection[] = [];
  private readonly waiting: ((connection: Http1Connection) => void)[] = [];
  private readonly origin: string;
  private readonly most: number;

  constructor(origin: string, most: number) {
    this.origin = origin;
    this.most = most;
  }

  async send(request: Request): Promise<Http1Answer> {
    const connection =
      this.idle.pop() ??
      (this.opened.length < this.most ? this.open() : await new Promise<Http1Connection>((lend) => this.waiting.push(lend)));
    try {
      return await connection.send(request);
    } finally {
      const next = this.waiting.shift();
      if (next) next(connection);
      else this.idle.push(connection);
    }
  }

  close(): void {
    for (const connection of this.opened) connection.close();
  }

  private open(): Http1Connection {
    const connection = new Http1Connection(this.origin);
    this.opened.push(connection);
    return connection;
  }
}

/** `count` connections to `origin`, closed by the returned function. */
function connections(origin: string, count: number): [Http1Connection[], () => void] {
  const opened = Array.from({ length: count }, () => new Http1Connection(origin));
  return [opened, () => opened.forEach((c) => c.close())];
}

/** `count` connections, each with its own request stream, for `seconds`. */
export async function closedLoop(
  origin: string,
  count: number,
  seconds: number,
  next: NextRequest,
  expected: number[] = [200, 201],
): Promise<Measurement> {
  const [opened, close] = connections(origin, count);
  const recorder = new Recorder();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let i = 0;
  try {
    await Promise.all(
      opened.map(async (connection) => {
        while (performance.now() < deadline) {
          const request = next(i++);
          await send(connection, request, recorder, performance.now(), expected);
        }
      }),
    );
  } finally {
    close();
  }
  return recorder.summary((performance.now() - started) / 1000);
}

/** A fixed list of requests through `count` connections; returns when all are answered. */
export async function runAll(origin: string, count: number, requests: Request[], expected: number[] = [200, 201]): Promise<Measurement> {
  const [opened, close] = connections(origin, count);
  const recorder = new Recorder();
  const started = performance.now();
  let i = 0;
  try {
    await Promise.all(
      opened.map(async (connection) => {
        while (i < requests.length) await send(connection, requests[i++], recorder, performance.now(), expected);
      }),
    );
  } finally {
    close();
  }
  return recorder.summary((performance.now() - started) / 1000);
}

/**
 * Open loop at `rate` requests per second for `seconds`: request i is due at start + i/rate and is
 * sent as soon as it is due (a timer wakes the loop for each one); its latency counts from when it was due.
 */
export async function openLoop(
  origin: string,
  rate: number,
  seconds: number,
  next: NextRequest,
  expected: number[] = [200, 201],
): Promise<Measurement & { lateStarts: number }> {
  const pool = new ConnectionPool(origin, 512);
  const recorder = new Recorder();
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const inFlight: Promise<void>[] = [];
  let lateStarts = 0;
  const started = performance.now();
  try {
    for (let i = 0; i < total;) {
      const now = performance.now();
      const due = started + i * interval;
      if (due > now) {
        await sleep(Math.max(0, due - now - 0.2));
        continue;
      }
      if (now - due > 5) lateStarts += 1; // the generator itself fell behind by more than 5 ms
      inFlight.push(send(pool, next(i), recorder, due, expected));
      i += 1;
    }
    await Promise.all(inFlight);
  } finally {
    pool.close();
  }
  return { ...recorder.summary(seconds), lateStarts };
}

/** One measurement from single-request runs (their only latency each). */
export function mergeSingles(runs: Measurement[]): Measurement {
  const latencies = runs
    .map((r) => r.p50)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return {
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    seconds,
    throughput: runs.length / seconds,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    p999: at(0.999),
    max: latencies.at(-1) ?? Number.NaN,
    errorSamples: runs.flatMap((r) => r.errorSamples).slice(0, 5),
  };
}
