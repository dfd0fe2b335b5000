import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Kysely } from 'kysely';
import type { DB } from '../src/db/schema.ts';
import { catchUp, drainOnce, drainSteps, queueLag, rebuildAggregates, startAggregator } from '../src/modules/reports/aggregator.ts';
import { createTestContext, patientKeySecret, type TestContext } from './helpers/context.ts';
import { generateResidentId, patientKey } from '../src/modules/patients/index.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeResult, makeScope } from './helpers/factories.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const pending = async () => Number((await sql<{ n: number }>`select count(*) as n from agg_pending`.execute(ctx.db)).rows[0].n);

/** A new receiving hospital with a client, and a check of one lab item for patient `n` (a 201 each). */
async function aReceiverChecking() {
  const receiver = await makeHospital(ctx.db);
  const item = await makeItem(ctx.db, { category: 'lab', radiationMsv: null });
  const client = await makeHospitalClient(ctx.db, receiver);
  const auth = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
  async function check(n: number) {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: auth,
      payload: {
        practitionerId: 'DR-1',
        patient: { idType: 'resident_id', idNumber: generateResidentId('19800101', '330106', String(n)) },
        items: [item],
        purpose: 'treatment',
      },
    });
    expect(response.statusCode).toBe(201);
  }
  return { receiver, check };
}

describe('the background aggregator', () => {
  it('counts queued checks on its own, and stop waits for the batch in progress', async () => {
    const receiver = await makeHospital(ctx.db);
    const issuer = await makeHospital(ctx.db);
    await certify(ctx.db, { hospitalId: issuer, scopeId: await makeScope(ctx.db) });
    const item = await makeItem(ctx.db, { category: 'lab', radiationMsv: null });
    const idNumber = generateResidentId('19800101', '330106', '001');
    await makeResult(ctx.db, {
      hospitalId: issuer,
      patientKey: patientKey(patientKeySecret, 'resident_id', idNumber),
      itemCode: item,
      performedAt: new Date(Date.now() - 86_400_000),
    });
    const client = await makeHospitalClient(ctx.db, receiver);
    const auth = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
    const check = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: auth,
      payload: { practitionerId: 'DR-1', patient: { idType: 'resident_id', idNumber }, items: [item], purpose: 'treatment' },
    });
    expect(check.statusCode).toBe(201);
    expect(await pending()).toBe(1);
    // The lag, as the reports and the metrics state it: numbers on both databases.
    const lag = await queueLag(ctx.db, new Date(Date.now() + 2_000));
    expect(lag.items).toBe(1);
    expect(lag.oldestSeconds).toBeGreaterThanOrEqual(2);
    expect(lag.oldestSeconds).toBeLessThan(60);

    const errors: unknown[] = [];
    const aggregator = startAggregator(ctx.db, 50, (error) => errors.push(error));
    try {
      await vi.waitFor(async () => expect(await pending()).toBe(0), { timeout: 5_000 });
    } finally {
      await aggregator.stop();
    }
    expect(errors).toEqual([]);
    const counted = await sql<{
      n: number;
    }>`select sum(check_items) as n from agg_rollup where dimension = 'receiver' and dim_value = ${receiver}`.execute(ctx.db);
    expect(counted.rows[0].n).toBe(1);
  });

  it('counts a backlog in steps that double while they find their batch full, up to the largest', async () => {
    const { receiver, check } = await aReceiverChecking();
    for (let n = 1; n <= 7; n++) await check(100 + n);
    expect(await pending()).toBe(7);
    expect(await catchUp(ctx.db, { first: 1, most: 4 })).toEqual([1, 2, 4, 0]);
    const counted = await sql<{
      n: number;
    }>`select sum(check_items) as n from agg_rollup where dimension = 'receiver' and dim_value = ${receiver}`.execute(ctx.db);
    expect(counted.rows[0].n).toBe(7);
  });

  it('halves its largest step after each failed run, down to the first step', async () => {
    const failing = {
      transaction: () => ({ execute: () => Promise.reject(new Error('canceling statement due to statement timeout')) }),
    } as unknown as Kysely<DB>;
    const errors: unknown[] = [];
    const aggregator = startAggregator(failing, 5, (error) => errors.push(error));
    try {
      expect(aggregator.largestStep()).toBe(drainSteps.most);
      await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(6), { timeout: 5_000 });
      expect(aggregator.largestStep()).toBe(drainSteps.first);
      expect(errors[0]).toEqual(new Error('canceling statement due to statement timeout'));
    } finally {
      await aggregator.stop();
    }
  });
});

describe('the queue kept lean', () => {
  const vacuums = async () =>
    Number(
      (await sql<{ n: number }>`select vacuum_count as n from pg_stat_user_tables where relname = 'agg_pending'`.execute(ctx.db)).rows[0].n,
    );

  it('vacuums the queue once it has counted `vacuumEvery` entries since the last vacuum, on the maintenance connection', async () => {
    const { check: checkOnly } = await aReceiverChecking();
    const check = async (n: number) => {
      await checkOnly(200 + n);
      await vi.waitFor(async () => expect(await pending()).toBe(0), { timeout: 5_000 });
    };
    await catchUp(ctx.db);
    const before = await vacuums();
    let maintenance = 0;
    const errors: unknown[] = [];
    const aggregator = startAggregator(ctx.db, 20, (error) => errors.push(error), {
      vacuumEvery: 3,
      withoutLimits: (work) => ((maintenance += 1), work(ctx.db)),
    });
    try {
      await check(1);
      await check(2);
      expect(maintenance).toBe(0);
      await check(3);
      await vi.waitFor(() => expect(maintenance).toBe(1), { timeout: 5_000 });
      await vi.waitFor(async () => expect(await vacuums()).toBe(before + 1), { timeout: 5_000 });
      // The count starts again after a vacuum.
      await check(4);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(maintenance).toBe(1);
    } finally {
      await aggregator.stop();
    }
    expect(errors).toEqual([]);
  });

  it('a failed vacuum is reported, tried again a period later, and leaves the counting steps as they were', async () => {
    const errors: unknown[] = [];
    let attempts = 0;
    const aggregator = startAggregator(ctx.db, 20, (error) => errors.push(error), {
      vacuumEvery: 0,
      withoutLimits: async () => {
        attempts += 1;
        throw new Error('connection refused');
      },
    });
    try {
      await vi.waitFor(() => expect(attempts).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    } finally {
      await aggregator.stop();
    }
    expect(errors[0]).toEqual(new Error('connection refused'));
    expect(aggregator.largestStep()).toBe(drainSteps.most);
  });
});

describe('flows per issuer, month and year', () => {
  it('keeps each issuer’s month and year of flows as one row of arrays equal to the pairs counted', async () => {
    const scope = await makeScope(ctx.db);
    const item = await makeItem(ctx.db, { category: 'lab', radiationMsv: null, prices: { T1: 20, T2: 20 } });
    const issuers = [await makeHospital(ctx.db, { priceTier: 'T1' }), await makeHospital(ctx.db, { priceTier: 'T1' })];
    const receivers = [await makeHospital(ctx.db, { priceTier: 'T1' }), await makeHospital(ctx.db, { priceTier: 'T1' })];
    for (const id of issuers) await certify(ctx.db, { hospitalId: id, scopeId: scope });
    const auth = await Promise.all(
      receivers.map(async (id) => {
        const client = await makeHospitalClient(ctx.db, id);
        return bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
      }),
    );
    // Recognitions on either side of New Year in Asia/Shanghai (16:00 UTC), from both issuers to both
    // receivers, and after New Year a second one from the first issuer to the first receiver.
    let seq = 0;
    for (const at of ['2025-12-31T15:00:00Z', '2025-12-31T17:00:00Z']) {
      for (const issuer of issuers) {
        const senders = issuer === issuers[0] && at.endsWith('17:00:00Z') ? [auth[0], ...auth] : auth;
        for (const headers of senders) {
          const idNumber = generateResidentId('19900101', '330106', String(++seq).padStart(3, '0'));
          await makeResult(ctx.db, {
            hospitalId: issuer,
            patientKey: patientKey(patientKeySecret, 'resident_id', idNumber),
            itemCode: item,
            performedAt: new Date(Date.parse(at) - 86_400_000),
          });
          ctx.clock.set(at);
          const check = await ctx.app.inject({
            method: 'POST',
            url: '/v1/recognition-checks',
            headers,
            payload: { practitionerId: 'DR-1', patient: { idType: 'resident_id', idNumber }, items: [item], purpose: 'treatment' },
          });
          const resultId = check.json().items[0].candidates[0].resultId;
          const decided = await ctx.app.inject({
            method: 'POST',
            url: `/v1/recognition-checks/${check.json().checkId}/decisions`,
            headers,
            payload: { decisions: [{ resultId, action: 'recognized' }] },
          });
          expect([check.statusCode, decided.statusCode]).toEqual([201, 201]);
        }
      }
    }
    ctx.clock.release();
    const packed = async () =>
      (
        await sql<{ row: string }>`
      select concat_ws(' ', 'month', month, issuer_num, receiver_nums, recognitions, fen) as row from agg_flow_month_issuers
      union all select concat_ws(' ', 'year', year, issuer_num, receiver_nums, recognitions, fen) from agg_flow_year_issuers
      order by 1`.execute(ctx.db)
      ).rows;
    const fromPairs = async () =>
      (
        await sql<{ row: string }>`
      select concat_ws(' ', unit, start, issuer_num, array_agg(receiver_num order by receiver_num), array_agg(recognitions order by receiver_num),
        array_agg((yuan * 100)::bigint order by receiver_num)) as row
      from (select 'month' as unit, month as start, issuer_num, receiver_num, recognitions, yuan from agg_flow_months
            union all select 'year', year, issuer_num, receiver_num, recognitions, yuan from agg_flow_years) f
      group by unit, start, issuer_num order by 1`.execute(ctx.db)
      ).rows;
    // Counted one queue entry at a time, then recounted whole.
    while ((await drainOnce(ctx.db, 1)) > 0);
    const counted = await packed();
    expect(counted.length).toBeGreaterThanOrEqual(8); // two issuers in each of two months and years
    expect(counted).toEqual(await fromPairs());
    expect(counted.filter((r) => r.row.endsWith(' {1,1} {2000,2000}'))).toHaveLength(6);
    expect(counted.filter((r) => r.row.endsWith(' {2,1} {4000,2000}'))).toHaveLength(2); // its month and its year
    await rebuildAggregates(ctx.db);
    expect(await packed()).toEqual(counted);
  });
});
