import { randomUUID } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { userAgent } from '../src/modules/webhooks/worker.ts';
import { bearer } from './helpers/auth.ts';
import {
  admin,
  ctx,
  deliveryOf,
  endpointAt,
  logLines,
  queue,
  receiver,
  settled,
  startWorker,
  useWebhookDeliveryWorld,
} from './helpers/webhook-delivery-world.ts';
import { eventually } from './helpers/webhook-receiver.ts';

/**
 * The delivery worker sending, retrying, failing and stopping, against real HTTP receivers (the set-up
 * is in helpers/webhook-delivery-world.ts). Signing with a rotated secret and the address guard are
 * in webhooks-delivery-security.test.ts.
 */
useWebhookDeliveryWorld();

describe('delivering', () => {
  it('sends the Standard Webhooks envelope, signed, woken by the commit', async () => {
    const target = await receiver();
    const { hospital, endpointId, secret } = await endpointAt(target);
    // Only a wake-up can deliver it before the minute is out: the worker would otherwise look again in a minute.
    startWorker({ webhooks: { pollIntervalMs: 60_000 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const payload = { recallId: randomUUID(), cause: 'amended', decidedAt: new Date('2026-11-30T01:02:03Z') };
    const { eventId, queued } = await queue(hospital, payload);
    expect(queued).toBe(1);
    await eventually(() => target.received.length === 1, 30_000);

    const row = await settled(eventId);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 200, last_error: null, endpoint_id: endpointId });
    const [message] = target.received;
    expect(target.unverified).toEqual([]);
    expect(message.id).toBe(row.id);
    expect(message.headers['content-type']).toBe('application/json');
    expect(message.headers['user-agent']).toBe(userAgent);
    expect(Math.abs(Number(message.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(message.signatures).toHaveLength(1);
    expect(new Webhook(secret).verify(message.body, message.headers as Record<string, string>)).toEqual({
      type: 'recall.created',
      timestamp: row.created_at.toISOString(),
      data: { ...payload, decidedAt: '2026-11-30T01:02:03.000Z' },
    });
    expect(logLines.join('')).not.toContain(secret.slice(6));
  });

  it('retries after 5xx answers with the same webhook-id, and the receiver takes the event once', async () => {
    const target = await receiver((_request, index) => (index < 2 ? 500 : 200));
    const { hospital } = await endpointAt(target);
    startWorker();
    const { eventId } = await queue(hospital);
    const row = await settled(eventId);
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200 });
    expect(target.received.map((r) => r.id)).toEqual([row.id, row.id, row.id]);
    expect(new Set(target.received.map((r) => r.body)).size).toBe(1);
    expect(target.accepted.size).toBe(1);
    expect(target.unverified).toEqual([]);
  });

  it('retries after a time-out', async () => {
    const target = await receiver((_request, index) => (index === 0 ? 'hang' : 204));
    const { hospital } = await endpointAt(target);
    // A retry 300 ms after the time-out: long enough to see the first attempt's record.
    startWorker({ webhooks: { retryBaseMs: 300 }, random: () => 0.999 });
    const { eventId } = await queue(hospital);
    await eventually(async () => (await deliveryOf(eventId)).last_error !== null);
    expect(await deliveryOf(eventId)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status_code: null,
      last_error: 'timed out after 400 ms',
    });
    const row = await settled(eventId);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204, last_error: null });
    expect(target.received.map((r) => r.id)).toEqual([row.id, row.id]);
    expect(target.accepted.size).toBe(1);
  });

  it('backs off exponentially, then fails the delivery, which administrators see and can send again', async () => {
    let answer = 500;
    const target = await receiver(() => answer);
    const { hospital } = await endpointAt(target);
    // The top of the jitter: waits of the full 200 ms, then 400 ms.
    startWorker({ webhooks: { retryBaseMs: 200 }, random: () => 0.999 });
    const { eventId } = await queue(hospital);
    const row = await settled(eventId);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 500, last_error: 'HTTP 500: refused with 500' });
    const arrivals = target.received.map((r) => r.at);
    expect(arrivals).toHaveLength(3);
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(195);
    expect(arrivals[2] - arrivals[1]).toBeGreaterThanOrEqual(395);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(target.received).toHaveLength(3);

    const failed = await ctx.app.inject({ url: `/v1/webhook-deliveries?status=failed&hospitalId=${hospital}`, headers: bearer(admin) });
    expect(failed.json().deliveries).toMatchObject([
      {
        id: row.id,
        eventId,
        status: 'failed',
        attempts: 3,
        lastStatusCode: 500,
        lastError: 'HTTP 500: refused with 500',
        nextAttemptAt: null,
      },
    ]);

    answer = 200;
    const retried = await ctx.app.inject({ method: 'POST', url: `/v1/webhook-deliveries/${row.id}/retry`, headers: bearer(admin) });
    expect(retried.json()).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await settled(eventId)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(target.accepted.size).toBe(1);
  });

  it('fails a delivery whose receiver never answers, after the last attempt', async () => {
    const target = await receiver(() => 'hang');
    const { hospital } = await endpointAt(target);
    startWorker();
    const { eventId } = await queue(hospital);
    const row = await settled(eventId);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, last_status_code: null, last_error: 'timed out after 400 ms' });
    expect(target.received).toHaveLength(3);
    expect(target.accepted.size).toBe(0);
  });

  it('loses nothing when the worker stops mid-delivery: the lease ends and another sends it again', async () => {
    const target = await receiver((_request, index) => (index === 0 ? 'hang' : 200));
    const { hospital } = await endpointAt(target);
    // The first worker's process "dies" once it has sent: nothing it does reaches the database any more.
    let died = false;
    const dying: KyselyPlugin = {
      transformQuery: (args) => {
        if (died) throw new Error('the process died');
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const first = startWorker({ db: ctx.db.withPlugin(dying) });
    const { eventId } = await queue(hospital);
    await eventually(() => target.received.length === 1);
    const leased = await deliveryOf(eventId);
    expect(leased).toMatchObject({ status: 'pending', attempts: 1 });
    died = true;
    const stopping = first.stop();
    // The receiver took the event, but its answer never gets recorded.
    target.release(200);
    await stopping;
    expect(await deliveryOf(eventId)).toMatchObject({ status: 'pending', attempts: 1, next_attempt_at: leased.next_attempt_at });

    startWorker();
    const row = await settled(eventId);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(target.received).toHaveLength(2);
    expect(target.received[1].at).toBeGreaterThanOrEqual(leased.next_attempt_at.getTime());
    expect(target.received.map((r) => r.id)).toEqual([row.id, row.id]);
    // De-duplicating on webhook-id, the receiver has the event once.
    expect(target.accepted.size).toBe(1);
    expect(target.unverified).toEqual([]);
  });

  it('stops gracefully: the request in flight is answered and recorded first', async () => {
    const target = await receiver(() => 'hang');
    const { hospital } = await endpointAt(target);
    const worker = startWorker();
    const { eventId } = await queue(hospital);
    await eventually(() => target.received.length === 1);
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    target.release(200);
    await stopping;
    expect(await deliveryOf(eventId)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('sends nothing to a disabled endpoint; its deliveries resume when it is enabled again', async () => {
    const target = await receiver();
    const { hospital, endpointId } = await endpointAt(target);
    const { eventId } = await queue(hospital);
    const patch = (enabled: boolean) =>
      ctx.app.inject({ method: 'PATCH', url: `/v1/webhook-endpoints/${endpointId}`, headers: bearer(admin), payload: { enabled } });
    expect((await patch(false)).statusCode).toBe(200);
    startWorker();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(target.received).toHaveLength(0);
    expect(await deliveryOf(eventId)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await queue(hospital)).queued).toBe(0);

    await patch(true);
    expect(await settled(eventId)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(target.received).toHaveLength(1);
  });

  it('does not let a hanging receiver delay another endpoint', async () => {
    let hang = true;
    const hanging = await receiver(() => (hang ? 'hang' : 200));
    const prompt = await receiver();
    const { hospital, endpointId: slowEndpoint } = await endpointAt(hanging);
    const { endpointId: fastEndpoint } = await endpointAt(prompt, hospital);
    startWorker({ webhooks: { timeoutMs: 3_000 } });
    const events = [await queue(hospital), await queue(hospital), await queue(hospital), await queue(hospital)];
    expect(events.every((e) => e.queued === 2)).toBe(true);
    await eventually(() => prompt.received.length === 4, 2_000);
    for (const { eventId } of events) expect((await settled(eventId, fastEndpoint)).status).toBe('delivered');
    // At most two requests at a time to one endpoint: the others wait their turn.
    expect(hanging.received).toHaveLength(2);
    expect((await deliveryOf(events[0].eventId, slowEndpoint)).status).toBe('pending');
    hang = false;
    hanging.release(200);
    for (const { eventId } of events) expect((await settled(eventId, slowEndpoint)).status).toBe('delivered');
    expect(hanging.accepted.size).toBe(4);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    const target = await receiver(() => 410);
    const { hospital, endpointId } = await endpointAt(target);
    startWorker();
    const { eventId } = await queue(hospital);
    await eventually(
      async () =>
        !(await ctx.db.selectFrom('webhook_endpoints').select('enabled').where('id', '=', endpointId).executeTakeFirstOrThrow()).enabled,
    );
    expect(await deliveryOf(eventId)).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 410 });
    expect(target.received).toHaveLength(1);
  });
});
