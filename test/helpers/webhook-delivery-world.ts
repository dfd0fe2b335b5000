import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import {
  enqueueWebhookEvent,
  startWebhookDelivery,
  type WebhookDelivery,
  type WebhookDeliveryDeps,
} from '../../src/modules/webhooks/index.ts';
import { adminToken, bearer } from './auth.ts';
import { createTestContext, type TestContext } from './context.ts';
import { makeHospital } from './factories.ts';
import { eventually, startReceiver, type Answer, type ReceivedWebhook, type Receiver } from './webhook-receiver.ts';

type WorkerOptions = Partial<Omit<WebhookDeliveryDeps, 'config'>> & { webhooks?: Partial<Config['webhooks']>; nodeEnv?: Config['nodeEnv'] };

/**
 * The delivery worker against real HTTP receivers on this machine (NODE_ENV=development lets it reach
 * loopback), each verifying every signature with the standardwebhooks library. Time-outs, back-offs
 * and polls are set short. Shared by test/webhooks-delivery.test.ts and webhooks-delivery-security.
 *
 * The bindings are live: a test file calls `useWebhookDeliveryWorld` once and reads what its hooks set
 * (a test context, an administrator's token; after each test its workers stopped, its receivers closed
 * and every endpoint disabled).
 */
export let ctx: TestContext;
export let admin: string;
const workers: WebhookDelivery[] = [];
const receivers: Receiver[] = [];
/** Everything the workers logged, a line at a time. */
export const logLines: string[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

/** Registers the hooks that build the world before the test file, tidy after each test and close it after. */
export function useWebhookDeliveryWorld() {
  beforeAll(async () => {
    ctx = await createTestContext({
      NODE_ENV: 'development',
      WEBHOOK_TIMEOUT_MS: '400',
      WEBHOOK_RETRY_BASE_MS: '20',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_POLL_INTERVAL_MS: '50',
    });
    admin = await adminToken(ctx.app);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
    // What a test left undelivered is not for the next test's worker.
    await ctx.db.updateTable('webhook_endpoints').set({ enabled: false }).execute();
  });
  afterAll(() => ctx.close());
}

export function startWorker({ webhooks, nodeEnv, ...deps }: WorkerOptions = {}) {
  const worker = startWebhookDelivery({
    db: ctx.db,
    listen: ctx.database.listen,
    config: { nodeEnv: nodeEnv ?? ctx.config.nodeEnv, webhooks: { ...ctx.config.webhooks, ...webhooks } },
    patientKeySecret: ctx.keys.patientKeySecret,
    logger,
    clock: ctx.clock,
    ...deps,
  });
  workers.push(worker);
  return worker;
}

export async function receiver(answer?: (request: ReceivedWebhook, index: number) => Answer) {
  const started = await startReceiver(answer);
  receivers.push(started);
  return started;
}

/** A hospital with one endpoint at the receiver; every request must verify with its secret. */
export async function endpointAt(target: Receiver, hospitalId?: string) {
  const hospital = hospitalId ?? (await makeHospital(ctx.db));
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: bearer(admin),
    payload: { hospitalId: hospital, url: target.url },
  });
  expect(response.statusCode, response.body).toBe(201);
  const { id, secret } = response.json<{ id: string; secret: string }>();
  target.verifyWith([secret]);
  return { hospital, endpointId: id, secret };
}

export async function queue(hospitalId: string, payload: Record<string, unknown> = { recallId: randomUUID() }) {
  const eventId = randomUUID();
  const queued = await ctx.db
    .transaction()
    .execute((trx) => enqueueWebhookEvent(trx, { hospitalId, eventType: 'recall.created', eventId, payload, now: ctx.clock() }));
  return { eventId, queued };
}

export function deliveryOf(eventId: string, endpointId?: string) {
  let query = ctx.db.selectFrom('webhook_deliveries').selectAll().where('event_id', '=', eventId);
  if (endpointId) query = query.where('endpoint_id', '=', endpointId);
  return query.executeTakeFirstOrThrow();
}

export const settled = async (eventId: string, endpointId?: string) => {
  let row = await deliveryOf(eventId, endpointId);
  await eventually(async () => {
    row = await deliveryOf(eventId, endpointId);
    return row.status !== 'pending';
  });
  return row;
};
