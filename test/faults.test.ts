import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patientKey } from '../src/modules/patients/index.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, patientKeySecret, usingPostgres, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeResult, makeScope } from './helpers/factories.ts';
import { freezingProxy } from './helpers/freezing-proxy.ts';
import { ctSubmission, residentId } from './helpers/results.ts';

/**
 * Database faults on PostgreSQL: a backend terminated while it serves a batch, a check or a
 * decision, and a server that stops answering. Each request caught in one answers 503 with
 * Retry-After, the process stays up (an unhandled 'error' would fail this file), nothing is
 * half-written, and the same request succeeds once the database is back.
 */
describe.skipIf(!usingPostgres)('database faults', () => {
  let ctx: TestContext;
  let admin: pg.Client;
  let writer: Record<string, string>;
  let receiver: Record<string, string>;
  let ct: string;
  let patient: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    admin = new pg.Client({ connectionString: ctx.databaseUrl! });
    await admin.connect();
    const issuer = await makeHospital(ctx.db);
    const receiving = await makeHospital(ctx.db, { city: 'Ningbo' });
    await certify(ctx.db, { hospitalId: issuer, scopeId: await makeScope(ctx.db) });
    ct = await makeItem(ctx.db, { category: 'ct' });
    patient = residentId();
    await makeResult(ctx.db, {
      hospitalId: issuer,
      patientKey: patientKey(patientKeySecret, 'resident_id', patient),
      itemCode: ct,
      kind: 'images',
      performedAt: new Date(Date.now() - 86_400_000),
    });
    const writerClient = await makeHospitalClient(ctx.db, issuer);
    const receiverClient = await makeHospitalClient(ctx.db, receiving);
    writer = bearer(await tokenFor(ctx.app, writerClient.clientId, writerClient.clientSecret));
    receiver = bearer(await tokenFor(ctx.app, receiverClient.clientId, receiverClient.clientSecret));
  });
  afterAll(async () => {
    await admin?.end();
    await ctx?.close();
  });

  const count = async (table: string) => Number((await admin.query(`select count(*) from ${table}`)).rows[0].count);

  /**
   * Holds `lock` in a transaction of its own, starts `request`, waits until the app's backend waits
   * on that lock, terminates that backend, then releases the lock.
   */
  async function terminatedWhileWaiting(lock: string, request: () => Promise<LightMyRequestResponse>, lockParams: unknown[] = []) {
    const holder = new pg.Client({ connectionString: ctx.databaseUrl! });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(lock, lockParams);
      const pending = request();
      let pid: number | undefined;
      for (let tries = 0; tries < 200 && pid === undefined; tries += 1) {
        const { rows } = await admin.query(
          `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        );
        pid = rows[0]?.pid;
        if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(pid, 'the request never waited on the lock').toBeDefined();
      await admin.query('select pg_terminate_backend($1)', [pid]);
      return await pending;
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
    }
  }

  function expectOutage(response: LightMyRequestResponse) {
    expect(response.statusCode, response.body).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body).not.toMatch(/terminat|ECONN|select|insert/i);
  }

  it('a batch whose backend is terminated mid-transaction answers 503, stores nothing, and succeeds when retried', async () => {
    const batch = { results: [1, 2, 3].map((n) => ({ accessionNo: `FAULT-B-${n}`, ...ctSubmission(residentId(), ct) })) };
    const send = () => ctx.app.inject({ method: 'POST', url: '/v1/results/batch', headers: writer, payload: batch });
    const [results, versions] = [await count('results'), await count('result_versions')];
    expectOutage(await terminatedWhileWaiting('lock table result_versions in exclusive mode', send));
    expect([await count('results'), await count('result_versions')]).toEqual([results, versions]);
    const retried = await send();
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().results.map((r: { outcome: string }) => r.outcome)).toEqual(['created', 'created', 'created']);
  });

  it('a check whose backend is terminated while writing answers 503, records nothing, and succeeds when retried', async () => {
    const check = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/v1/recognition-checks',
        headers: receiver,
        payload: { practitionerId: 'DR-1', patient: { idType: 'resident_id', idNumber: patient }, items: [ct], purpose: 'treatment' },
      });
    const before = [await count('recognition_checks'), await count('check_candidates'), await count('audit_events')];
    expectOutage(await terminatedWhileWaiting('lock table agg_pending in exclusive mode', check));
    expect([await count('recognition_checks'), await count('check_candidates'), await count('audit_events')]).toEqual(before);
    const retried = await check();
    expect(retried.statusCode, retried.body).toBe(201);
    expect(await count('recognition_checks')).toBe(before[0] + 1);
  });

  it('a decision whose backend is terminated inside its transaction answers 503, logs nothing, and succeeds when retried', async () => {
    const made = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: receiver,
      payload: { practitionerId: 'DR-1', patient: { idType: 'resident_id', idNumber: patient }, items: [ct], purpose: 'treatment' },
    });
    const { checkId, items } = made.json();
    const decide = () =>
      ctx.app.inject({
        method: 'POST',
        url: `/v1/recognition-checks/${checkId}/decisions`,
        headers: receiver,
        payload: { decisions: [{ resultId: items[0].candidates[0].resultId, action: 'recognized' }] },
      });
    const decisions = await count('recognition_decisions');
    expectOutage(await terminatedWhileWaiting('select id from recognition_checks where id = $1 for update', decide, [checkId]));
    expect(await count('recognition_decisions')).toBe(decisions);
    const retried = await decide();
    expect(retried.statusCode, retried.body).toBe(201);
    expect(await count('recognition_decisions')).toBe(decisions + 1);
  });
});

describe.skipIf(!usingPostgres)('a database that stops answering', () => {
  let ctx: TestContext;
  let proxy: Awaited<ReturnType<typeof freezingProxy>>;
  let auth: Record<string, string>;
  let credentials: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    const target = new URL(process.env.DATABASE_URL!);
    proxy = await freezingProxy({ host: target.hostname, port: Number(target.port || 5432) });
    ctx = await createTestContext(
      {
        DATABASE_STATEMENT_TIMEOUT_MS: '1000',
        DATABASE_ACQUIRE_TIMEOUT_MS: '500',
        DATABASE_CONNECT_TIMEOUT_MS: '500',
        DATABASE_POOL_SIZE: '2',
      },
      { connectVia: (url) => proxy.url(url) },
    );
    credentials = await makeHospitalClient(ctx.db, await makeHospital(ctx.db));
    auth = bearer(await tokenFor(ctx.app, credentials.clientId, credentials.clientSecret));
  });
  afterAll(async () => {
    proxy?.thaw();
    await ctx?.close();
    await proxy?.close();
  });

  const timed = async (send: () => Promise<LightMyRequestResponse>) => {
    const started = Date.now();
    const response = await send();
    return { response, ms: Date.now() - started };
  };

  it('answers 503 within its bounds while the database hangs, and recovers by itself', async () => {
    expect((await ctx.app.inject({ url: '/v1/hospitals', headers: auth })).statusCode).toBe(200);
    proxy.freeze();
    try {
      // A statement on a silent server: the statement timeout (1 s) plus the client's 2 s grace.
      const api = await timed(() => ctx.app.inject({ url: '/v1/hospitals', headers: auth }));
      expect(api.response.statusCode, api.response.body).toBe(503);
      expect(api.response.headers['retry-after']).toBeDefined();
      expect(api.ms).toBeLessThan(8_000);

      const ready = await timed(() => ctx.app.inject({ url: '/readyz' }));
      expect(ready.response.statusCode).toBe(503);
      expect(ready.response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(ready.ms).toBeLessThan(5_000);

      const token = await timed(() =>
        ctx.app.inject({
          method: 'POST',
          url: '/v1/oauth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: credentials.clientId,
            client_secret: credentials.clientSecret,
          }).toString(),
        }),
      );
      expect(token.response.statusCode, token.response.body).toBe(503);
      expect(token.response.json()).toMatchObject({ error: 'temporarily_unavailable' });
      expect(token.response.headers['retry-after']).toBeDefined();
      expect(token.ms).toBeLessThan(8_000);
    } finally {
      proxy.thaw();
    }
    let recovered = 0;
    for (let tries = 0; tries < 50 && recovered !== 200; tries += 1) {
      recovered = (await ctx.app.inject({ url: '/v1/hospitals', headers: auth })).statusCode;
      if (recovered !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(recovered).toBe(200);
    expect((await ctx.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });
});
