import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningJwk } from '../src/modules/auth/keys.ts';
import { basic } from './helpers/auth.ts';
import { usingPostgres } from './helpers/context.ts';
import { cloneTemplate } from './helpers/postgres.ts';

// WORKERS=2 on PostgreSQL: the real entry point (src/server.ts) started as a deployment starts it.

const admin = { clientId: 'workers-admin', secret: 'workers-admin-secret-0123456789' };

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

const childrenOf = (pid: number) => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};

async function waitFor(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!usingPostgres)('several worker processes behind one port (PostgreSQL)', () => {
  let clone: Awaited<ReturnType<typeof cloneTemplate>>;
  let service: ChildProcess;
  let base: string;
  let metricsBase: string;
  let output = '';

  beforeAll(async () => {
    clone = await cloneTemplate(process.env.DATABASE_URL!);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const metricsPort = await freePort();
    metricsBase = `http://127.0.0.1:${metricsPort}`;
    service = spawn(process.execPath, ['src/server.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: clone.url,
        WORKERS: '2',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
        PATIENT_KEY_SECRET: 'workers-test-patient-key-secret-0123456789',
        AUTH_SIGNING_KEY: JSON.stringify(await generateSigningJwk()),
        ADMIN_CLIENT_ID: admin.clientId,
        ADMIN_CLIENT_SECRET: admin.secret,
        DATABASE_POOL_SIZE: '3',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('is listening'), 30_000);
  }, 40_000);
  afterAll(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    await clone.drop();
  });

  const token = async () => {
    const response = await fetch(`${base}/v1/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(admin.clientId, admin.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  /** Each request on a new connection, so the primary hands them to the workers in turn. */
  const hospitals = (accessToken: string) =>
    fetch(`${base}/v1/hospitals`, { headers: { authorization: `Bearer ${accessToken}`, connection: 'close' } }).then((r) => r.status);

  it('serves from every worker with one issuer: a token from one is good at the other', async () => {
    expect(childrenOf(service.pid!)).toHaveLength(2);
    const accessToken = await token();
    const statuses = await Promise.all(Array.from({ length: 20 }, () => hospitals(accessToken)));
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
  });

  /** One sample's value from a scrape of GET /metrics: the line of `name` carrying every label given (0 before any). */
  const sample = (text: string, name: string, labels: string[]) => {
    const lines = text.split('\n').filter((line) => line.startsWith(`${name}{`) && labels.every((l) => line.includes(l)));
    expect(lines.length).toBeLessThanOrEqual(1);
    return lines.length === 0 ? 0 : Number(lines[0].split(' ').pop());
  };
  const scrape = async (accessToken: string) => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${accessToken}`, connection: 'close' } });
    expect(response.status).toBe(200);
    return response.text();
  };

  it('answers a scrape with every worker’s metrics together, whichever worker takes it', async () => {
    const accessToken = await token();
    const served = (text: string) =>
      sample(text, 'mre_http_request_duration_seconds_count', ['method="GET"', 'route="/v1/hospitals"', 'status_code="200"']);
    const before = served(await scrape(accessToken));
    const statuses = await Promise.all(Array.from({ length: 20 }, () => hospitals(accessToken)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Each scrape on a new connection (the primary hands them to the workers in turn), and one on the
    // leader's METRICS_PORT.
    const leaders = fetch(`${metricsBase}/metrics`).then((r) => r.text());
    const after = await Promise.all([scrape(accessToken), scrape(accessToken), scrape(accessToken), leaders]);
    for (const text of after) {
      expect(served(text) - before).toBe(20);
      // A worker's own gauge is summed (two pools of 3); the database's is shown once.
      expect(sample(text, 'mre_database_pool_connections', ['state="max"'])).toBe(6);
      expect(text.split('\n').filter((line) => line.startsWith('mre_aggregator_queue_items ')).length).toBe(1);
    }
  });

  it('starts a worker again when it dies', async () => {
    const [first] = childrenOf(service.pid!);
    process.kill(first, 'SIGKILL');
    await waitFor(() => {
      const now = childrenOf(service.pid!);
      return now.length === 2 && !now.includes(first);
    }, 15_000);
    const accessToken = await token();
    const statuses = await Promise.all(Array.from({ length: 10 }, () => hospitals(accessToken)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Scrapes go on answering, from the worker left alone while the new one starts (the dead one is
    // not waited for), and from both once the new one is ready.
    let pools = 0;
    for (let tries = 0; pools !== 6 && tries < 100; tries++) {
      pools = sample(await scrape(accessToken), 'mre_database_pool_connections', ['state="max"']);
      expect([3, 6]).toContain(pools);
      if (pools !== 6) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(pools).toBe(6);
  }, 30_000);

  it('stops every worker gracefully on SIGTERM, exiting 0', async () => {
    const workers = childrenOf(service.pid!);
    service.kill('SIGTERM');
    const [code] = (await once(service, 'exit')) as [number | null];
    expect(code).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  }, 30_000);
});
