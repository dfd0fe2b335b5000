import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createSecretBox, generateSigningSecret } from '../src/modules/webhooks/secrets.ts';
import { bearer } from './helpers/auth.ts';
import { makeHospital } from './helpers/factories.ts';
import {
  admin,
  ctx,
  deliveryOf,
  endpointAt,
  queue,
  receiver,
  settled,
  startWorker,
  useWebhookDeliveryWorld,
} from './helpers/webhook-delivery-world.ts';
import { eventually } from './helpers/webhook-receiver.ts';

/**
 * The delivery worker's signatures across a secret rotation, and its address guard at delivery time,
 * against real HTTP receivers (the set-up is in helpers/webhook-delivery-world.ts).
 */
useWebhookDeliveryWorld();

describe('rotating the secret', () => {
  it('signs with both secrets for 24 hours, then with the new one alone', async () => {
    const target = await receiver();
    const { hospital, endpointId, secret: previous } = await endpointAt(target);
    const rotated = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpointId}/rotate-secret`,
      headers: bearer(admin),
    });
    const current = rotated.json<{ secret: string }>().secret;
    target.verifyWith([previous, current]);
    startWorker();
    const during = await queue(hospital);
    await settled(during.eventId);
    expect(target.received[0].signatures).toHaveLength(2);
    expect(target.unverified).toEqual([]);

    // The overlap is over.
    await ctx.db
      .updateTable('webhook_endpoints')
      .set({ previous_secret_expires_at: new Date(Date.now() - 1_000) })
      .where('id', '=', endpointId)
      .execute();
    target.verifyWith([current]);
    const after = await queue(hospital);
    await settled(after.eventId);
    const [, message] = target.received;
    expect(message.signatures).toHaveLength(1);
    expect(target.unverified).toEqual([]);
    expect(() => new Webhook(previous).verify(message.body, message.headers as Record<string, string>)).toThrow();
  });
});

describe('the address guard at delivery time', () => {
  const box = () => createSecretBox(ctx.keys.patientKeySecret);

  async function endpointRow(hospitalId: string, url: string) {
    const row = await ctx.db
      .insertInto('webhook_endpoints')
      .values({ hospital_id: hospitalId, url, secret_sealed: box().seal(generateSigningSecret()), created_by: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  it('refuses a host that now resolves to a private address, without connecting', async () => {
    const hospital = await makeHospital(ctx.db);
    await endpointRow(hospital, 'https://hooks.hospital.test/recalls');
    let lookups = 0;
    startWorker({
      nodeEnv: 'production',
      webhooks: { retryBaseMs: 60_000 },
      random: () => 0.999,
      resolve: async () => {
        lookups += 1;
        return [{ address: '10.0.0.7', family: 4 }];
      },
    });
    const { eventId } = await queue(hospital);
    await eventually(async () => (await deliveryOf(eventId)).attempts === 1 && (await deliveryOf(eventId)).last_error !== null);
    expect(await deliveryOf(eventId)).toMatchObject({
      status: 'pending',
      last_status_code: null,
      last_error: 'refused: host hooks.hospital.test resolves to 10.0.0.7, which is not a public address',
    });
    expect(lookups).toBe(1);
  });

  it('refuses plain http outside development', async () => {
    const target = await receiver();
    const { hospital } = await endpointAt(target);
    startWorker({ nodeEnv: 'production' });
    const { eventId } = await queue(hospital);
    await eventually(async () => (await deliveryOf(eventId)).last_error !== null);
    expect((await deliveryOf(eventId)).last_error).toBe('refused: the URL must be an https URL');
    expect(target.received).toHaveLength(0);
  });

  it('connects to the address it checked, keeping the host name in the request', async () => {
    const target = await receiver();
    const hospital = await makeHospital(ctx.db);
    await endpointRow(hospital, `http://hooks.hospital.test:${target.port}/recalls`);
    startWorker({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    const { eventId } = await queue(hospital);
    expect(await settled(eventId)).toMatchObject({ status: 'delivered' });
    expect(target.received[0].headers.host).toBe(`hooks.hospital.test:${target.port}`);
  });
});
