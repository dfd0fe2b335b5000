import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidV7 } from '../src/db/ids.ts';
import { createLogger } from '../src/logger.ts';
import { startWebhookDelivery } from '../src/modules/webhooks/index.ts';
import { purgeFinishedDeliveries } from '../src/modules/webhooks/deliveries-repository.ts';
import { createSecretBox, generateSigningSecret } from '../src/modules/webhooks/secrets.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital } from './helpers/factories.ts';

// Delivered and failed deliveries are deleted once past WEBHOOK_RETENTION_DAYS; pending ones are kept.

let ctx: TestContext;
let endpointId: string;
const day = 86_400_000;

beforeAll(async () => {
  ctx = await createTestContext();
  const hospital = await makeHospital(ctx.db);
  const box = createSecretBox(ctx.keys.patientKeySecret);
  ({ id: endpointId } = await ctx.db
    .insertInto('webhook_endpoints')
    // Disabled: no worker of another test file's may try to send these.
    .values({
      hospital_id: hospital,
      url: 'https://hooks.hospital.test/recalls',
      secret_sealed: box.seal(generateSigningSecret()),
      created_by: 'test',
      enabled: false,
    })
    .returning('id')
    .executeTakeFirstOrThrow());
});
afterAll(() => ctx.close());

/**
 * A delivery queued `ageDays` ago (its id made at that time, as the database makes them) with
 * `status`, last attempted `attemptedDaysAgo` ago (never, when not given).
 */
async function delivery(ageDays: number, status: 'pending' | 'delivered' | 'failed', attemptedDaysAgo?: number) {
  const queuedAt = new Date(ctx.clock().getTime() - ageDays * day);
  const attemptedAt = attemptedDaysAgo === undefined ? null : new Date(ctx.clock().getTime() - attemptedDaysAgo * day);
  const { id } = await ctx.db
    .insertInto('webhook_deliveries')
    .values({
      id: uuidV7(queuedAt.getTime()),
      endpoint_id: endpointId,
      hospital_id: 'h',
      event_type: 'recall.created',
      event_id: uuidV7(),
      payload: JSON.stringify({}),
      status,
      next_attempt_at: queuedAt,
      last_attempt_at: attemptedAt,
      created_at: queuedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

const remaining = async (ids: string[]) =>
  (await ctx.db.selectFrom('webhook_deliveries').select('id').where('id', 'in', ids).orderBy('id').execute()).map((r) => r.id);

describe('webhook delivery retention', () => {
  it('deletes finished deliveries queued and last attempted before the bound, in batches, and keeps the rest', async () => {
    const old = [
      await delivery(100, 'delivered', 99),
      await delivery(95, 'failed'),
      await delivery(92, 'delivered'),
      await delivery(91, 'failed'),
    ];
    // Pending however old; queued lately; sent again lately (an administrator's retry of an old failure).
    const kept = [
      await delivery(120, 'pending'),
      await delivery(89, 'delivered'),
      await delivery(1, 'failed'),
      await delivery(100, 'delivered', 2),
    ];
    const before = new Date(ctx.clock().getTime() - 90 * day);
    // Stopped before it began: nothing deleted.
    expect(await purgeFinishedDeliveries(ctx.db, before, { stopped: () => true })).toBe(0);
    // Batches of 3: a full batch, then one of 1.
    expect(await purgeFinishedDeliveries(ctx.db, before, { batch: 3 })).toBe(4);
    expect(await remaining([...old, ...kept])).toEqual([...kept].sort());
    expect(await purgeFinishedDeliveries(ctx.db, before, { batch: 3 })).toBe(0);
  });

  it('is run by the delivery worker when it starts, with WEBHOOK_RETENTION_DAYS', async () => {
    const old = await delivery(40, 'delivered');
    const young = await delivery(20, 'delivered');
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const worker = startWebhookDelivery({
      db: ctx.db,
      config: { nodeEnv: ctx.config.nodeEnv, webhooks: { ...ctx.config.webhooks, retentionDays: 30 } },
      patientKeySecret: ctx.keys.patientKeySecret,
      logger,
      clock: ctx.clock,
    });
    // stop() waits for the purge it started.
    await worker.stop();
    expect(await remaining([old, young])).toEqual([young]);
    expect(lines.some((line) => line.includes('deleted finished webhook deliveries past their retention'))).toBe(true);
  });
});
