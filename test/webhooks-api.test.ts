import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueWebhookEvent } from '../src/modules/webhooks/index.ts';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

/**
 * The webhook endpoints API as hospitals and administrators use it, on the production rules: https
 * URLs whose host is public. Address literals keep these tests off the network's DNS.
 */
let ctx: TestContext;
let admin: string;
let hospitalA: string;
let hospitalB: string;
let tokenA: string;
let tokenB: string;

const publicUrl = 'https://93.184.215.14/hooks/recalls';
const problemType = 'application/problem+json; charset=utf-8';

beforeAll(async () => {
  ctx = await createTestContext();
  admin = await adminToken(ctx.app);
  hospitalA = await makeHospital(ctx.db);
  hospitalB = await makeHospital(ctx.db);
  const a = await makeHospitalClient(ctx.db, hospitalA, ['recognition']);
  const b = await makeHospitalClient(ctx.db, hospitalB, ['recognition', 'results:write']);
  tokenA = await tokenFor(ctx.app, a.clientId, a.clientSecret);
  tokenB = await tokenFor(ctx.app, b.clientId, b.clientSecret);
});
afterAll(() => ctx.close());

function register(token: string, body: Record<string, unknown>) {
  return ctx.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', headers: bearer(token), payload: body });
}

async function registered(token: string, body: Record<string, unknown> = { url: publicUrl }) {
  const response = await register(token, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; hospitalId: string; secret: string; previousSecretExpiresAt: string | null }>();
}

describe('registering an endpoint', () => {
  it('needs a token with the recognition or admin scope', async () => {
    const anonymous = await ctx.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', payload: { url: publicUrl } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toBe(problemType);
    const reader = await makeHospitalClient(ctx.db, hospitalA, ['results:read']);
    const refused = await register(await tokenFor(ctx.app, reader.clientId, reader.clientSecret), { url: publicUrl });
    expect(refused.statusCode).toBe(403);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/webhook-deliveries' })).statusCode).toBe(401);
  });

  it("gives the hospital's endpoint and its secret once", async () => {
    const created = await register(tokenA, { url: publicUrl, description: 'Recall inbox' });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      hospitalId: hospitalA,
      url: publicUrl,
      description: 'Recall inbox',
      enabled: true,
      previousSecretExpiresAt: null,
    });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(body.createdBy).toMatch(new RegExp(`^${hospitalA}-client-`));

    const read = await ctx.app.inject({ url: `/v1/webhook-endpoints/${body.id}`, headers: bearer(tokenA) });
    expect(read.statusCode).toBe(200);
    expect(read.json()).not.toHaveProperty('secret');
    expect(read.body).not.toContain(body.secret.slice(6));
    const list = await ctx.app.inject({ url: '/v1/webhook-endpoints', headers: bearer(tokenA) });
    expect(list.body).not.toContain(body.secret.slice(6));

    // Stored sealed, never as given.
    const row = await ctx.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(body.secret.slice(6));
    expect(row.created_by).toBe(body.createdBy);
    expect(ctx.logs()).not.toContain(body.secret.slice(6));
  });

  it("refuses another hospital's, and makes administrators name the hospital", async () => {
    const other = await register(tokenA, { hospitalId: hospitalB, url: publicUrl });
    expect(other.statusCode).toBe(403);
    const same = await registered(tokenA, { hospitalId: hospitalA, url: publicUrl });
    expect(same.hospitalId).toBe(hospitalA);

    const unnamed = await register(admin, { url: publicUrl });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.headers['content-type']).toBe(problemType);
    expect(unnamed.json().errors).toEqual([{ field: 'hospitalId', message: 'is required for administrators' }]);
    const unknown = await register(admin, { hospitalId: 'H-nowhere', url: publicUrl });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ field: 'hospitalId', message: 'is not a registered hospital' }]);
    expect((await registered(admin, { hospitalId: hospitalB, url: publicUrl })).hospitalId).toBe(hospitalB);
  });

  it.each([
    ['http://93.184.215.14/hooks', 'must be an https URL'],
    ['https://127.0.0.1/hooks', 'host 127.0.0.1 resolves to 127.0.0.1, which is not a public address'],
    ['https://10.0.0.8/hooks', 'host 10.0.0.8 resolves to 10.0.0.8, which is not a public address'],
    ['https://169.254.169.254/latest/meta-data', 'host 169.254.169.254 resolves to 169.254.169.254, which is not a public address'],
    ['https://[::ffff:192.168.0.1]/', 'host ::ffff:c0a8:1 resolves to ::ffff:c0a8:1, which is not a public address'],
    ['https://[fd00::1]/', 'host fd00::1 resolves to fd00::1, which is not a public address'],
    ['https://localhost/hooks', 'host localhost resolves to'],
    ['https://hospital:secret@93.184.215.14/hooks', 'must not contain credentials'],
    ['not-a-url', 'must be an absolute URL'],
    ['https://93.184.215.14/a b', 'must be printable ASCII without spaces'],
  ])('refuses %s as problem+json with the field', async (url, message) => {
    const refused = await register(tokenA, { url });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toBe(problemType);
    const { errors } = refused.json<{ errors: { field: string; message: string }[] }>();
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('url');
    expect(errors[0].message).toContain(message);
  });

  it('refuses long URLs, unknown fields and control characters', async () => {
    const long = await register(tokenA, { url: `https://93.184.215.14/${'a'.repeat(2_048)}` });
    expect(long.statusCode).toBe(400);
    expect(long.json().errors[0].field).toBe('url');
    const unknown = await register(tokenA, { url: publicUrl, secret: 'whsec_mine' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ field: 'secret', message: 'is not a recognised field' }]);
    const hidden = await register(tokenA, { url: publicUrl, description: 'a\u202Eb' });
    expect(hidden.statusCode).toBe(400);
    expect(hidden.json().errors[0].field).toBe('description');
  });

  it('keeps to ten endpoints per hospital', async () => {
    const hospital = await makeHospital(ctx.db);
    for (let i = 0; i < 10; i += 1) await registered(admin, { hospitalId: hospital, url: publicUrl });
    const eleventh = await register(admin, { hospitalId: hospital, url: publicUrl });
    expect(eleventh.statusCode).toBe(409);
    expect(eleventh.json().type).toMatch(/too-many-endpoints$/);
  });
});

describe('reading and changing endpoints', () => {
  it("shows a hospital only its own endpoints: another's is not found", async () => {
    const ofA = await registered(tokenA);
    const ofB = await registered(tokenB);
    const listA = (await ctx.app.inject({ url: '/v1/webhook-endpoints', headers: bearer(tokenA) })).json<{
      endpoints: { id: string; hospitalId: string }[];
    }>();
    expect(listA.endpoints.map((e) => e.id)).toContain(ofA.id);
    expect(listA.endpoints.every((e) => e.hospitalId === hospitalA)).toBe(true);
    expect((await ctx.app.inject({ url: `/v1/webhook-endpoints?hospitalId=${hospitalB}`, headers: bearer(tokenA) })).statusCode).toBe(403);

    for (const [method, url, payload] of [
      ['GET', `/v1/webhook-endpoints/${ofB.id}`, undefined],
      ['PATCH', `/v1/webhook-endpoints/${ofB.id}`, { enabled: false }],
      ['POST', `/v1/webhook-endpoints/${ofB.id}/rotate-secret`, undefined],
      ['GET', `/v1/webhook-endpoints/${randomUUID()}`, undefined],
    ] as const) {
      const response = await ctx.app.inject({ method, url, headers: bearer(tokenA), payload });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.headers['content-type']).toBe(problemType);
    }
    expect((await ctx.app.inject({ url: `/v1/webhook-endpoints/${ofB.id}`, headers: bearer(tokenB) })).statusCode).toBe(200);

    const all = (await ctx.app.inject({ url: '/v1/webhook-endpoints', headers: bearer(admin) })).json<{ endpoints: { id: string }[] }>();
    expect(all.endpoints.map((e) => e.id)).toEqual(expect.arrayContaining([ofA.id, ofB.id]));
    const onlyB = (await ctx.app.inject({ url: `/v1/webhook-endpoints?hospitalId=${hospitalB}`, headers: bearer(admin) })).json<{
      endpoints: { hospitalId: string }[];
    }>();
    expect(onlyB.endpoints.every((e) => e.hospitalId === hospitalB)).toBe(true);
    expect((await ctx.app.inject({ url: '/v1/webhook-endpoints/not-a-uuid', headers: bearer(admin) })).statusCode).toBe(400);
  });

  it('disables, describes and moves an endpoint, checking the new URL', async () => {
    const { id } = await registered(tokenA, { url: publicUrl, description: 'old' });
    const patch = (payload: Record<string, unknown>) =>
      ctx.app.inject({ method: 'PATCH', url: `/v1/webhook-endpoints/${id}`, headers: bearer(tokenA), payload });
    ctx.clock.set('2026-12-01T10:00:00Z');
    const changed = await patch({ enabled: false, description: null });
    ctx.clock.release();
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ enabled: false, description: null, updatedAt: '2026-12-01T10:00:00.000Z' });
    expect((await patch({ url: 'https://192.168.1.10/hooks' })).json().errors[0].field).toBe('url');
    expect((await patch({ url: 'https://93.184.215.15/v2' })).json()).toMatchObject({ url: 'https://93.184.215.15/v2', enabled: false });
    expect((await patch({ enabled: true })).json().enabled).toBe(true);
    const empty = await patch({});
    expect(empty.statusCode).toBe(400);
    expect(empty.headers['content-type']).toBe(problemType);
  });

  it('rotates the secret: a new one shown once, the previous one in force for 24 hours', async () => {
    const first = await registered(tokenA);
    ctx.clock.set('2026-12-02T08:00:00Z');
    const rotated = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${first.id}/rotate-secret`,
      headers: bearer(tokenA),
    });
    expect(rotated.statusCode).toBe(200);
    const body = rotated.json();
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.secret).not.toBe(first.secret);
    expect(body.previousSecretExpiresAt).toBe('2026-12-03T08:00:00.000Z');
    const read = await ctx.app.inject({ url: `/v1/webhook-endpoints/${first.id}`, headers: bearer(tokenA) });
    expect(read.json()).not.toHaveProperty('secret');
    expect(read.json().previousSecretExpiresAt).toBe('2026-12-03T08:00:00.000Z');
    ctx.clock.set('2026-12-03T08:00:01Z');
    const later = await ctx.app.inject({ url: `/v1/webhook-endpoints/${first.id}`, headers: bearer(tokenA) });
    expect(later.json().previousSecretExpiresAt).toBeNull();
    ctx.clock.release();
    const byAdmin = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${first.id}/rotate-secret`,
      headers: bearer(admin),
    });
    expect(byAdmin.statusCode).toBe(200);
  });
});

describe('deliveries', () => {
  async function queue(hospitalId: string, eventType = 'recall.created') {
    const eventId = randomUUID();
    await ctx.db
      .transaction()
      .execute((trx) => enqueueWebhookEvent(trx, { hospitalId, eventType, eventId, payload: { recallId: eventId }, now: new Date() }));
    return eventId;
  }

  it("lists a hospital's own deliveries, page by page; administrators see all", async () => {
    const hospital = await makeHospital(ctx.db);
    const client = await makeHospitalClient(ctx.db, hospital, ['recognition']);
    const token = await tokenFor(ctx.app, client.clientId, client.clientSecret);
    const endpoint = await registered(token);
    const events = [await queue(hospital), await queue(hospital), await queue(hospital)];
    await queue(hospitalB);

    const first = await ctx.app.inject({ url: '/v1/webhook-deliveries?limit=2', headers: bearer(token) });
    expect(first.statusCode).toBe(200);
    const page1 = first.json<{ deliveries: { eventId: string; hospitalId: string }[]; nextCursor: string }>();
    expect(page1.deliveries.map((d) => d.eventId)).toEqual([events[2], events[1]]);
    const second = await ctx.app.inject({ url: `/v1/webhook-deliveries?limit=2&cursor=${page1.nextCursor}`, headers: bearer(token) });
    expect(second.json()).toMatchObject({ deliveries: [{ eventId: events[0] }], nextCursor: null });
    expect(second.json().deliveries[0]).toMatchObject({
      endpointId: endpoint.id,
      hospitalId: hospital,
      eventType: 'recall.created',
      status: 'pending',
      attempts: 0,
      lastStatusCode: null,
      lastError: null,
      deliveredAt: null,
      payload: { recallId: events[0] },
    });
    expect(second.json().deliveries[0].nextAttemptAt).toEqual(expect.any(String));

    const admins = await ctx.app.inject({ url: `/v1/webhook-deliveries?hospitalId=${hospital}&status=pending`, headers: bearer(admin) });
    expect(admins.json().deliveries).toHaveLength(3);
    const everyone = await ctx.app.inject({ url: '/v1/webhook-deliveries?limit=500', headers: bearer(admin) });
    expect(new Set(everyone.json().deliveries.map((d: { hospitalId: string }) => d.hospitalId))).toEqual(new Set([hospital, hospitalB]));
    const byEndpoint = await ctx.app.inject({ url: `/v1/webhook-deliveries?endpointId=${endpoint.id}`, headers: bearer(admin) });
    expect(byEndpoint.json().deliveries).toHaveLength(3);

    expect((await ctx.app.inject({ url: `/v1/webhook-deliveries?hospitalId=${hospitalB}`, headers: bearer(token) })).statusCode).toBe(403);
    const badCursor = await ctx.app.inject({ url: '/v1/webhook-deliveries?cursor=bm9wZQ', headers: bearer(token) });
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().errors).toEqual([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
    const badStatus = await ctx.app.inject({ url: '/v1/webhook-deliveries?status=lost', headers: bearer(token) });
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json().errors[0].field).toBe('querystring.status');
  });

  it('queues an event once per enabled endpoint of its hospital, in the caller’s transaction', async () => {
    const hospital = await makeHospital(ctx.db);
    const one = await registered(admin, { hospitalId: hospital, url: publicUrl });
    const two = await registered(admin, { hospitalId: hospital, url: 'https://93.184.215.16/' });
    const off = await registered(admin, { hospitalId: hospital, url: 'https://93.184.215.17/' });
    await ctx.app.inject({ method: 'PATCH', url: `/v1/webhook-endpoints/${off.id}`, headers: bearer(admin), payload: { enabled: false } });
    const eventId = randomUUID();
    const event = { hospitalId: hospital, eventType: 'recall.created', eventId, payload: { n: 1 }, now: new Date() };
    expect(await ctx.db.transaction().execute((trx) => enqueueWebhookEvent(trx, event))).toBe(2);
    expect(await ctx.db.transaction().execute((trx) => enqueueWebhookEvent(trx, event))).toBe(0);
    const rows = await ctx.db.selectFrom('webhook_deliveries').select(['endpoint_id', 'payload']).where('event_id', '=', eventId).execute();
    expect(rows.map((r) => r.endpoint_id).sort()).toEqual([one.id, two.id].sort());

    const rolledBack = randomUUID();
    await expect(
      ctx.db.transaction().execute(async (trx) => {
        await enqueueWebhookEvent(trx, { ...event, eventId: rolledBack });
        throw new Error('the cause failed');
      }),
    ).rejects.toThrow('the cause failed');
    expect(await ctx.db.selectFrom('webhook_deliveries').select('id').where('event_id', '=', rolledBack).execute()).toEqual([]);
    expect(await ctx.db.transaction().execute((trx) => enqueueWebhookEvent(trx, { ...event, hospitalId: 'H-without-endpoints' }))).toBe(0);
  });

  it('sends a failed delivery again on request; a delivered one is a conflict', async () => {
    const hospital = await makeHospital(ctx.db);
    const client = await makeHospitalClient(ctx.db, hospital, ['recognition']);
    const token = await tokenFor(ctx.app, client.clientId, client.clientSecret);
    await registered(token);
    const failedEvent = await queue(hospital);
    const deliveredEvent = await queue(hospital);
    await ctx.db
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', attempts: 8, last_status_code: 500, last_error: 'HTTP 500' })
      .where('event_id', '=', failedEvent)
      .execute();
    await ctx.db
      .updateTable('webhook_deliveries')
      .set({ status: 'delivered', attempts: 1, delivered_at: new Date(), last_status_code: 204 })
      .where('event_id', '=', deliveredEvent)
      .execute();
    const failed = (await ctx.app.inject({ url: '/v1/webhook-deliveries?status=failed', headers: bearer(token) })).json().deliveries;
    expect(failed).toMatchObject([
      { eventId: failedEvent, status: 'failed', attempts: 8, lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: null },
    ]);
    const seenByAdmin = (await ctx.app.inject({ url: '/v1/webhook-deliveries?status=failed&limit=500', headers: bearer(admin) })).json()
      .deliveries;
    expect(seenByAdmin.map((d: { id: string }) => d.id)).toContain(failed[0].id);

    expect(
      (await ctx.app.inject({ method: 'POST', url: `/v1/webhook-deliveries/${failed[0].id}/retry`, headers: bearer(tokenA) })).statusCode,
    ).toBe(404);
    const retried = await ctx.app.inject({ method: 'POST', url: `/v1/webhook-deliveries/${failed[0].id}/retry`, headers: bearer(token) });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'pending', attempts: 0, lastError: 'HTTP 500' });
    const again = await ctx.app.inject({ method: 'POST', url: `/v1/webhook-deliveries/${failed[0].id}/retry`, headers: bearer(admin) });
    expect(again.json()).toMatchObject({ status: 'pending' });

    const delivered = (await ctx.app.inject({ url: '/v1/webhook-deliveries?status=delivered', headers: bearer(token) })).json()
      .deliveries[0];
    const conflict = await ctx.app.inject({ method: 'POST', url: `/v1/webhook-deliveries/${delivered.id}/retry`, headers: bearer(token) });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers['content-type']).toBe(problemType);
  });
});
