// The faults of a chaos run: the operator's restart command, run `restarts` times spread evenly over
// the run, and optionally pg_terminate_backend on every connection of the service's database
// half-way between them. Each fault's recovery is read from the ledger afterwards: from the moment the
// fault was over (the restart command returned) to the first 2xx of each kind of request.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { firstAtOrAfter, kinds, type Kind, type Ledger } from './ledger.ts';

export type FaultType = 'restart' | 'kill-backends';

export interface FaultEvent {
  type: FaultType;
  /** Milliseconds since the load began. */
  startedAtMs: number;
  completedAtMs: number;
  ok: boolean;
  detail: string;
  /** A restart: when a probe connection first failed, and when one succeeded again after that (null: never seen down). */
  serverDownAtMs: number | null;
  serverBackAtMs: number | null;
}

export interface Recovery extends FaultEvent {
  /** From completedAtMs to the first 2xx of each kind; null: none before the next fault or the end. */
  recoveryMs: Record<Kind, number | null>;
  /** From serverBackAtMs to the first 2xx of each kind: how far the service lagged behind its database. */
  afterServerBackMs: Record<Kind, number | null>;
  /** The slowest kind: when every kind of request succeeded again. */
  allKindsMs: number | null;
  /** 503s answered from the fault's start until the next fault (or the end of the load). */
  unavailableAnswers: number;
  /** The first and the last of those 503s, relative to completedAtMs (negative: before the fault was over). */
  first503AfterMs: number | null;
  last503AfterMs: number | null;
  /** The longest time without a 2xx of any kind, from the fault's start until the next fault. */
  longestGapMs: number;
}

export function plan(durationMs: number, restarts: number, killBackends: boolean): { type: FaultType; atMs: number }[] {
  const gap = durationMs / (restarts + 1);
  const events = Array.from({ length: restarts }, (_, k) => ({ type: 'restart' as const, atMs: gap * (k + 1) }));
  const kills = killBackends
    ? Array.from({ length: restarts + 1 }, (_, k) => ({ type: 'kill-backends' as const, atMs: gap * (k + 0.5) }))
    : [];
  return [...events, ...kills].sort((a, b) => a.atMs - b.atMs);
}

/** Runs `command` in a shell; resolves with its exit code and its output (last 2,000 characters). */
export function runCommand(command: string, timeoutMs = 120_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => resolve({ code: -1, output: error.message }));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output: signal ? `${output}\n(killed by ${signal})` : output });
    });
  });
}

/** Terminates every client backend connected to `database` (the service's pool and its LISTEN connection). */
export async function terminateBackends(serverUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'mre-chaos' });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity
       where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      [database],
    );
    return rows[0].n;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Connects to the server every 50 ms while `running()`: the moment it first refuses (or does not answer
 * within a second), and the moment it accepts again. Stops once back, or when the fault is over and
 * the server was never seen down, or 30 s after the fault is over.
 */
async function probe(
  serverUrl: string,
  running: () => boolean,
  now: () => number,
): Promise<{ downAtMs: number | null; backAtMs: number | null }> {
  let downAtMs: number | null = null;
  let overAt: number | null = null;
  for (;;) {
    const at = now();
    const client = new pg.Client({ connectionString: serverUrl, application_name: 'mre-chaos', connectionTimeoutMillis: 1_000 });
    client.on('error', () => {});
    const up = await client
      .connect()
      .then(() => client.query('select 1'))
      .then(
        () => true,
        () => false,
      );
    await client.end().catch(() => {});
    if (!up) downAtMs ??= at;
    else if (downAtMs !== null) return { downAtMs, backAtMs: now() };
    if (!running()) overAt ??= now();
    if (overAt !== null && (downAtMs === null || now() - overAt > 30_000)) return { downAtMs, backAtMs: null };
    await sleep(50);
  }
}

export async function runFaults(
  events: { type: FaultType; atMs: number }[],
  ledger: Ledger,
  actions: { restart: string; serverUrl: string; database: string },
  stopped: () => boolean,
  log: (line: string) => void,
): Promise<FaultEvent[]> {
  const done: FaultEvent[] = [];
  for (const event of events) {
    // At least 2 s after the previous fault was over, so that its recovery is seen on its own.
    const at = Math.max(event.atMs, (done.at(-1)?.completedAtMs ?? 0) + 2_000);
    while (!stopped() && ledger.now() < at) await sleep(Math.min(100, at - ledger.now()));
    if (stopped()) break;
    const startedAtMs = ledger.now();
    let ok: boolean;
    let detail: string;
    let server: { downAtMs: number | null; backAtMs: number | null } = { downAtMs: null, backAtMs: null };
    if (event.type === 'restart') {
      let running = true;
      const probing = probe(
        actions.serverUrl,
        () => running,
        () => ledger.now(),
      );
      const { code, output } = await runCommand(actions.restart);
      running = false;
      server = await probing;
      ok = code === 0;
      detail = `exit ${code}${output.trim() ? `: ${output.trim()}` : ''}`;
    } else {
      try {
        const n = await terminateBackends(actions.serverUrl, actions.database);
        ok = true;
        detail = `${n} backend(s) terminated`;
      } catch (error) {
        ok = false;
        detail = error instanceof Error ? error.message : String(error);
      }
    }
    const completedAtMs = ledger.now();
    done.push({
      type: event.type,
      startedAtMs,
      completedAtMs,
      ok,
      detail,
      serverDownAtMs: server.downAtMs,
      serverBackAtMs: server.backAtMs,
    });
    log(
      `  ${(startedAtMs / 1000).toFixed(1)} s: ${event.type} (${((completedAtMs - startedAtMs) / 1000).toFixed(1)} s) ${ok ? 'done' : 'FAILED'}: ${detail}`,
    );
  }
  return done;
}

/** Each fault's recovery, read from the ledger's 2xx and 503 timelines. */
export function recoveries(events: FaultEvent[], ledger: Ledger, endMs: number): Recovery[] {
  const successes = kinds.flatMap((kind) => ledger.successTimes[kind]).sort((a, b) => a - b);
  return events.map((event, i) => {
    const until = events[i + 1]?.startedAtMs ?? endMs;
    const firstSuccesses = (from: number | null) =>
      Object.fromEntries(
        kinds.map((kind) => {
          const first = from === null ? null : firstAtOrAfter(ledger.successTimes[kind], from);
          return [kind, first !== null && from !== null && first < until ? Math.round(first - from) : null];
        }),
      ) as Record<Kind, number | null>;
    const recoveryMs = firstSuccesses(event.completedAtMs);
    const values = Object.values(recoveryMs);
    const unavailable = ledger.unavailableTimes.filter((t) => t >= event.startedAtMs && t < until);
    const window = [event.startedAtMs, ...successes.filter((t) => t >= event.startedAtMs && t < until), until];
    const relative = (t: number | undefined) => (t === undefined ? null : Math.round(t - event.completedAtMs));
    return {
      ...event,
      recoveryMs,
      afterServerBackMs: firstSuccesses(event.serverBackAtMs),
      allKindsMs: values.includes(null) ? null : Math.max(...(values as number[])),
      unavailableAnswers: unavailable.length,
      first503AfterMs: relative(unavailable[0]),
      last503AfterMs: relative(unavailable.at(-1)),
      longestGapMs: Math.round(Math.max(...window.slice(1).map((t, k) => t - window[k]))),
    };
  });
}
