import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutdown } from '../src/lifecycle.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';

const slowMs = 1500;
let ctx: TestContext;
let started: () => void;
const slowStarted = new Promise<void>((resolve) => (started = resolve));

/** A request that is still running when shutdown begins, and needs the database at its very end. */
function slowRoute(app: FastifyInstance) {
  app.get('/test/slow', async () => {
    started();
    await sleep(slowMs);
    const { rows } = await sql<{ answer: number }>`select 42 as answer`.execute(ctx.db);
    return { answer: rows[0].answer };
  });
}

beforeAll(async () => {
  ctx = await createTestContext({}, { extend: slowRoute });
});
afterAll(() => ctx.close());

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('graceful shutdown', () => {
  it('finishes an in-flight request, refuses new connections, then closes the database', async () => {
    await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = ctx.app.server.address() as AddressInfo;
    expect((await get(port, '/healthz')).status).toBe(200);

    let finishedAt = 0;
    const inFlight = get(port, '/test/slow').then((response) => {
      finishedAt = Date.now();
      return response;
    });
    await slowStarted;
    const closing = shutdown(ctx.app, ctx.database);

    // While the slow request runs, the listener is gone: new connections are refused.
    let refusedAt = 0;
    const deadline = Date.now() + slowMs;
    while (Date.now() < deadline) {
      if (!(await canConnect(port))) {
        refusedAt = Date.now();
        break;
      }
      await sleep(20);
    }
    expect(refusedAt).toBeGreaterThan(0);

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ answer: 42 });
    expect(refusedAt).toBeLessThan(finishedAt);

    await closing;
    await expect(sql`select 1`.execute(ctx.db)).rejects.toThrow();
  });
});

describe('a request that arrives during shutdown', () => {
  it('is answered 503 problem+json with Retry-After and Connection: close, so the client retries elsewhere', async () => {
    const other = await createTestContext(
      {},
      {
        extend: (app) => {
          app.get('/test/wait', async () => (await sleep(400), { ok: true }));
        },
      },
    );
    try {
      await other.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = other.app.server.address() as AddressInfo;
      const socket = connect({ host: '127.0.0.1', port });
      let received = '';
      socket.on('data', (chunk) => (received += chunk));
      await new Promise((resolve) => socket.once('connect', resolve));
      // A keep-alive connection busy with one request when shutdown begins; its next request comes after.
      socket.write('GET /test/wait HTTP/1.1\r\nHost: exchange.test\r\n\r\n');
      await sleep(100);
      const closing = other.app.close();
      await sleep(50);
      socket.write('GET /v1/hospitals HTTP/1.1\r\nHost: exchange.test\r\n\r\n');
      await new Promise((resolve) => socket.once('close', resolve));
      await closing;
      const second = received.slice(received.indexOf('HTTP/1.1', 1));
      expect(second).toMatch(/^HTTP\/1\.1 503 /);
      expect(second).toMatch(/\r\ncontent-type: application\/problem\+json; charset=utf-8\r\n/i);
      expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(second).toMatch(/\r\nconnection: close\r\n/i);
      expect(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).toMatchObject({
        type: expect.stringMatching(/shutting-down$/),
        status: 503,
      });
    } finally {
      await other.close();
    }
  });
});
