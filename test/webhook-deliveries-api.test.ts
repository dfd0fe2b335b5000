import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { enqueueWebhookEvent } from '../src/modules/webhooks/index.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';
import {
  admin,
  ctx,
  hospitalB,
  problemType,
  publicUrl,
  registered,
  tokenA,
  tokenB,
  useWebhooksApiWorld,
} from './helpers/webhooks-api-world.ts';

/** The webhook deliveries API: a hospital's deliveries listed, queued per endpoint, sent again (test/helpers/webhooks-api-world.ts). */
useWebhooksApiWorld();

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
    await registered(tokenB);
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
