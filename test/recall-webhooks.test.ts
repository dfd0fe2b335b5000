import { Writable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { generateResidentId } from '../src/modules/patients/index.ts';
import { startWebhookDelivery } from '../src/modules/webhooks/index.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeScope } from './helpers/factories.ts';
import { eventually, startReceiver } from './helpers/webhook-receiver.ts';

// End to end: a hospital recognises a result, the issuer corrects it, and the hospital's webhook
// receiver (verifying with the standardwebhooks library) gets the recall once, as the API shows it.

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ NODE_ENV: 'development', WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_RETRY_BASE_MS: '20' });
});
afterAll(() => ctx.close());

it('delivers a recall to every endpoint of the recognising hospital, signed, with the recall as the API reads it', async () => {
  const issuer = await makeHospital(ctx.db, { city: 'Hangzhou' });
  const receiver = await makeHospital(ctx.db, { city: 'Ningbo' });
  const scope = await makeScope(ctx.db, { level: 'national' });
  await certify(ctx.db, { hospitalId: issuer, scopeId: scope });
  const ct = await makeItem(ctx.db, { category: 'ct', validityDays: 30 });
  const auth = async (hospitalId: string) => {
    const c = await makeHospitalClient(ctx.db, hospitalId);
    return bearer(await tokenFor(ctx.app, c.clientId, c.clientSecret));
  };
  const issuerAuth = await auth(issuer);
  const receiverAuth = await auth(receiver);

  // The first answer fails: the delivery is retried, and the receiver still accepts it once.
  const hooks = await startReceiver((_request, index) => (index === 0 ? 500 : 204));
  const registered = await ctx.app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: receiverAuth,
    payload: { url: hooks.url },
  });
  expect(registered.statusCode).toBe(201);
  const { secret } = registered.json<{ secret: string }>();
  hooks.verifyWith([secret]);
  const worker = startWebhookDelivery({
    db: ctx.db,
    listen: ctx.database.listen,
    config: { nodeEnv: ctx.config.nodeEnv, webhooks: ctx.config.webhooks },
    patientKeySecret: ctx.keys.patientKeySecret,
    logger: createLogger('silent', new Writable({ write: (_c, _e, done) => done() })),
  });
  try {
    const idNumber = generateResidentId('19750505', '330106', '501');
    const performedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const body = (findings: string) => ({
      patient: { idType: 'resident_id', idNumber },
      itemCode: ct,
      performedAt,
      status: 'final',
      studyUid: '1.2.3.4',
      findings,
    });
    const created = await ctx.app.inject({ method: 'PUT', url: '/v1/results/WH-1', headers: issuerAuth, payload: body('Clear.') });
    const resultId = created.json().resultId as string;
    const checked = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: receiverAuth,
      payload: { practitionerId: 'DR-3', patient: { idType: 'resident_id', idNumber }, items: [ct], purpose: 'treatment' },
    });
    const decided = await ctx.app.inject({
      method: 'POST',
      url: `/v1/recognition-checks/${checked.json().checkId}/decisions`,
      headers: receiverAuth,
      payload: { decisions: [{ resultId, action: 'recognized' }] },
    });
    expect(decided.statusCode).toBe(201);
    await ctx.app.inject({ method: 'PUT', url: '/v1/results/WH-1', headers: issuerAuth, payload: body('A 4 mm nodule.') });

    await eventually(() => hooks.accepted.size === 1, 10_000);
    expect(hooks.unverified).toEqual([]);
    expect(hooks.received).toHaveLength(2);
    expect(hooks.received[1].id).toBe(hooks.received[0].id);
    const [message] = [...hooks.accepted.values()];
    const event = new Webhook(secret).verify(message.body, message.headers as Record<string, string>) as {
      type: string;
      data: { recallId: string; links: { history: string } };
    };
    expect(event.type).toBe('recall.created');
    const [recall] = (await ctx.app.inject({ method: 'GET', url: '/v1/recalls', headers: receiverAuth })).json().recalls;
    expect(event.data.recallId).toBe(recall.recallId);
    expect(event.data).toMatchObject({
      cause: 'amended',
      changedFields: ['findings'],
      result: { resultId, accessionNo: 'WH-1', version: 2 },
    });
    expect(event.data.links.history).toBe(`/v1/results/WH-1/history?issuer=${issuer}`);
    const history = await ctx.app.inject({ method: 'GET', url: event.data.links.history, headers: receiverAuth });
    expect(history.json().versions.map((v: { changedFields: string[] }) => v.changedFields)).toEqual([[], ['findings']]);
  } finally {
    await worker.stop();
    await hooks.close();
  }
});
