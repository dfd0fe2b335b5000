// The processes the benchmark drives: the service and the empty Fastify route as child processes (so
// the load generator never shares their event loop), and pgbench.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Child {
  origin: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node <script>` (TypeScript, run by Node's own type stripping) with `env`, and waits until `readyPath` answers 200. */
export async function startChild(script: string, env: Record<string, string>, readyPath: string, nodeArgs: string[] = []): Promise<Child> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: root,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${script} exited during start-up:\n${output}`);
    try {
      const response = await fetch(`${origin}${readyPath}`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not become ready within 60 s:\n${output}`);
    }
    await sleep(100);
  }
  return {
    origin,
    process: child,
    output: () => output,
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/**
 * The service's environment under a benchmark: the generated database and its secrets, no demo data,
 * tokens that outlast the run, and the rate limits out of the way (all the load comes from one address
 * and a handful of clients: the per-instance budgets meant for real clients would throttle it).
 */
export function benchServiceEnv(url: string, secret: string, pool: number, logLevel: string): Record<string, string> {
  return {
    DATABASE_URL: url,
    PATIENT_KEY_SECRET: secret,
    AUTH_SIGNING_KEY: process.env.AUTH_SIGNING_KEY ?? '',
    LOG_LEVEL: logLevel,
    DATABASE_POOL_SIZE: String(pool),
    ACCESS_TOKEN_TTL: '3600',
    DEMO_DATA: 'off',
    RATE_LIMIT_PER_ADDRESS: '10000000',
    RATE_LIMIT_PER_CLIENT: '10000000',
    RATE_LIMIT_TOKEN_PER_ADDRESS: '10000000',
  };
}

export interface PgbenchResult {
  clients: number;
  /** prepared: parsed and planned once per connection; extended: every time, as node-postgres sends unnamed statements. */
  mode: 'prepared' | 'extended';
  tps: number;
  latencyAvgMs: number;
  transactions: number;
  failed: number;
}

/** Runs pgbench (no vacuum, `-j` = min(clients, 2)) and parses its report. */
export async function pgbench(
  url: string,
  scripts: string[],
  clients: number,
  seconds: number,
  variables: Record<string, number>,
  mode: PgbenchResult['mode'] = 'prepared',
): Promise<PgbenchResult> {
  const args = [
    '-n',
    '-M',
    mode,
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, 2)),
    '-T',
    String(seconds),
    ...Object.entries(variables).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
    ...scripts.flatMap((s) => ['-f', s]),
    url,
  ];
  const { code, stdout, stderr } = await run(pgbenchBinary(), args);
  if (code !== 0) throw new Error(`pgbench failed (${code}): ${stderr || stdout}`);
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? Number.NaN);
  return {
    clients,
    mode,
    tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
    latencyAvgMs: number(/latency average = ([\d.]+) ms/),
    transactions: number(/number of transactions actually processed: (\d+)/),
    failed: number(/number of failed transactions: (\d+)/) || 0,
  };
}

function pgbenchBinary(): string {
  return process.env.PGBENCH ?? 'pgbench';
}

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
