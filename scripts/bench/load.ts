// The load generator: closed loop (N connections, each sends its next request when the previous one
// is answered) and open loop (each request has its own scheduled start time, every 1/rate s; latency
// is measured from that scheduled time, so a stalled server is charged for the requests it delayed:
// no coordinated omission, and no per-second bursts).
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export interface Request {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

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

async function send(pool: Pool, request: Request, recorder: Recorder, startedAt: number, expected: number[]): Promise<void> {
  try {
    const response = await pool.request({ method: request.method, path: request.path, headers: request.headers, body: request.body });
    if (expected.includes(response.statusCode)) {
      await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      recorder.record(performance.now() - startedAt, response.statusCode, expected);
    } else {
      const text = await response.body.text();
      recorder.record(performance.now() - startedAt, response.statusCode, expected, text);
    }
  } catch (error) {
    recorder.fail(error instanceof Error ? error.message : String(error));
  }
}

/** `connections` workers, each with its own request stream, for `seconds`. */
export async function closedLoop(
  origin: string,
  connections: number,
  seconds: number,
  next: NextRequest,
  expected: number[] = [200, 201],
): Promise<Measurement> {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const recorder = new Recorder();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let i = 0;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < deadline) {
          const request = next(i++);
          await send(pool, request, recorder, performance.now(), expected);
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return recorder.summary((performance.now() - started) / 1000);
}

/** A fixed list of requests through `connections` workers; returns when all are answered. */
export async function runAll(
  origin: string,
  connections: number,
  requests: Request[],
  expected: number[] = [200, 201],
): Promise<Measurement> {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const recorder = new Recorder();
  const started = performance.now();
  let i = 0;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (i < requests.length) await send(pool, requests[i++], recorder, performance.now(), expected);
      }),
    );
  } finally {
    await pool.close();
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
  const pool = new Pool(origin, { connections: 512, pipelining: 1 });
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
    await pool.close();
  }
  return { ...recorder.summary(seconds), lateStarts };
}
