import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateResidentId } from '../src/modules/patients/index.ts';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { makeHospital, makeHospitalClient, makeItem } from './helpers/factories.ts';
import { createTestContext, usingPostgres, type TestContext } from './helpers/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('operations', () => {
  it('answers liveness and readiness', async () => {
    expect((await ctx.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await ctx.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ok');
  });

  it('echoes a well-formed x-request-id and mints one otherwise', async () => {
    const echoed = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': 'his-42.abc' } });
    expect(echoed.headers['x-request-id']).toBe('his-42.abc');
    const minted = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(minted.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown path with a 404 problem', async () => {
    const response = await ctx.app.inject('/v1/nowhere');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: expect.stringMatching(/not-found$/),
      status: 404,
      requestId: response.headers['x-request-id'],
    });
  });

  it('answers a known path with the wrong method with a 405 problem and Allow', async () => {
    const response = await ctx.app.inject({ method: 'DELETE', url: '/healthz' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
    expect(response.json()).toMatchObject({ status: 405, title: 'Method not allowed' });
  });

  it('reports not ready (503) when the database is gone', async () => {
    const other = await createTestContext();
    await other.database.close();
    const response = await other.app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    await other.close();
  });
});

describe('metrics', () => {
  it('serve Prometheus text to administrators only: latency per route, pool, database faults, shedding, audit, the aggregator’s lag', async () => {
    expect((await ctx.app.inject('/metrics')).statusCode).toBe(401);
    const admin = bearer(await adminToken(ctx.app));
    await ctx.app.inject('/healthz');
    const response = await ctx.app.inject({ url: '/metrics', headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers['cache-control']).toBe('no-store');
    for (const metric of [
      'mre_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz",status_code="200"}',
      'mre_database_pool_connections{state="max"}',
      'mre_database_pool_connections{state="waiting"} 0',
      'mre_aggregator_queue_items 0',
      'mre_aggregator_queue_oldest_seconds 0',
      '# TYPE mre_database_faults_total counter',
      '# TYPE mre_shed_requests_total counter',
      '# TYPE mre_rate_limited_requests_total counter',
      '# TYPE mre_audit_events_total counter',
      'mre_process_cpu_seconds_total',
    ]) {
      expect(response.body).toContain(metric);
    }
  });
});

describe('shared statements', () => {
  it('count how many checks each shared read and write served, every check once', async () => {
    const hospital = await makeHospital(ctx.db);
    const item = await makeItem(ctx.db, { category: 'lab', radiationMsv: null });
    const client = await makeHospitalClient(ctx.db, hospital);
    const headers = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
    const checks = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        ctx.app.inject({
          method: 'POST',
          url: '/v1/recognition-checks',
          headers,
          payload: {
            practitionerId: 'DR-1',
            patient: { idType: 'resident_id', idNumber: generateResidentId('19800101', '330106', String(n).padStart(3, '0')) },
            items: [item],
            purpose: 'treatment',
          },
        }),
      ),
    );
    expect(checks.map((c) => c.statusCode)).toEqual(Array(6).fill(201));
    const metrics = (await ctx.app.inject({ url: '/metrics', headers: bearer(await adminToken(ctx.app)) })).body;
    const value = (name: string, statement: string) =>
      Number(new RegExp(`^mre_shared_statement_checks_${name}\\{statement="${statement}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    for (const statement of ['read', 'write']) {
      expect(value('sum', statement), statement).toBe(6);
      expect(value('count', statement), statement).toBeGreaterThanOrEqual(1);
      expect(value('count', statement), statement).toBeLessThanOrEqual(6);
    }
  });
});

describe('load shedding', () => {
  it('answers 503 problem+json with Retry-After while the event loop lags, but still answers liveness', async () => {
    const lagging = await createTestContext({ MAX_EVENT_LOOP_DELAY_MS: '10' });
    try {
      // The event loop lags by 100 ms again and again, as under a sustained overload, until the
      // plugin's next once-a-second sample has seen it (a single stall can fall between the sample
      // and the delay histogram's own timer, and be missed).
      let shed = await lagging.app.inject('/v1/nowhere');
      for (const giveUpAt = Date.now() + 10_000; shed.statusCode !== 503 && Date.now() < giveUpAt;) {
        const blockUntil = Date.now() + 100;
        while (Date.now() < blockUntil);
        await new Promise((resolve) => setTimeout(resolve, 1));
        shed = await lagging.app.inject('/v1/nowhere');
      }
      expect(shed.statusCode).toBe(503);
      expect(shed.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(shed.headers['retry-after']).toBe('1');
      expect(shed.json()).toMatchObject({ type: expect.stringMatching(/overloaded$/) });
      expect((await lagging.app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await lagging.close();
    }
  });

  it.skipIf(!usingPostgres)('sheds a request at once when too many already wait for a database connection', async () => {
    const narrow = await createTestContext({ DATABASE_POOL_SIZE: '1', DATABASE_MAX_WAITING: '0' });
    try {
      const admin = bearer(await adminToken(narrow.app));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      // The pool's only connection is busy in a transaction.
      const holding = narrow.db.transaction().execute(async () => held);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      const shed = await narrow.app.inject({ url: '/v1/hospitals', headers: admin });
      expect(shed.statusCode).toBe(503);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(shed.json()).toMatchObject({ type: expect.stringMatching(/overloaded$/) });
      expect(shed.headers['retry-after']).toBe('1');
      release();
      await holding;
      expect((await narrow.app.inject({ url: '/v1/hospitals', headers: admin })).statusCode).toBe(200);
      const metrics = await narrow.app.inject({ url: '/metrics', headers: admin });
      expect(metrics.body).toContain('mre_shed_requests_total{reason="database-pool"} 1');
    } finally {
      await narrow.close();
    }
  });
});

describe('security headers', () => {
  it('go with every answer; the docs and the dashboard carry their own content security policies', async () => {
    const api = await ctx.app.inject('/v1/nowhere');
    expect(api.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'cross-origin-opener-policy': 'same-origin',
      'x-dns-prefetch-control': 'off',
    });
    expect(api.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const docs = await ctx.app.inject('/docs/static/swagger-initializer.js');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(docs.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests|validator\.swagger\.io/);
    const dashboard = await ctx.app.inject('/dashboard');
    expect(dashboard.headers['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self'/);
    expect(dashboard.headers['x-content-type-options']).toBe('nosniff');
  });
});
