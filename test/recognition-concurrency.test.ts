import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchUp, drainOnce, rebuildAggregates } from '../src/modules/reports/aggregator.ts';
import { generateResidentId, patientKey } from '../src/modules/results/patient-identity.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, patientKeySecret, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeResult, makeScope } from './helpers/factories.ts';

let ctx: TestContext;
let auth: Record<string, string>;
let items: string[];
const patients = Array.from({ length: 12 }, (_, i) => generateResidentId('19900101', '330106', String(i + 1).padStart(3, '0')));

beforeAll(async () => {
  ctx = await createTestContext();
  const receiver = await makeHospital(ctx.db, { city: 'Ningbo' });
  const issuer = await makeHospital(ctx.db);
  await certify(ctx.db, { hospitalId: issuer, scopeId: await makeScope(ctx.db) });
  items = [await makeItem(ctx.db, { category: 'ct' }), await makeItem(ctx.db, { category: 'lab', radiationMsv: null })];
  for (const idNumber of patients) {
    const key = patientKey(patientKeySecret, 'resident_id', idNumber);
    for (const itemCode of items) await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode, kind: 'images', performedAt: new Date(Date.now() - 86_400_000) });
  }
  const client = await makeHospitalClient(ctx.db, receiver);
  auth = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
});
afterAll(() => ctx.close());

describe('checks and decisions running at once', () => {
  it('all succeed on the same hospital and items while the aggregator drains, and the aggregates equal a recount', async () => {
    const check = (idNumber: string) =>
      ctx.app.inject({ method: 'POST', url: '/v1/recognition-checks', headers: auth, payload: { practitionerId: 'DR-1', patient: { idType: 'resident_id', idNumber }, items, purpose: 'treatment' } });
    const first = await Promise.all(patients.slice(0, 6).map(check));
    expect(first.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    // Decisions on the first checks race with new checks touching the same aggregate rows.
    const responses = await Promise.all([
      ...first.map((r) => {
        const body = r.json();
        const decisions = body.items.map((i: { candidates: { resultId: string }[] }, n: number) =>
          n === 0 ? { resultId: i.candidates[0].resultId, action: 'recognized' } : { resultId: i.candidates[0].resultId, action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' });
        return ctx.app.inject({ method: 'POST', url: `/v1/recognition-checks/${body.checkId}/decisions`, headers: auth, payload: { decisions } });
      }),
      ...patients.slice(6).map(check),
      // The aggregator counts the queue while checks and decisions keep adding to it.
      ...Array.from({ length: 4 }, () => drainOnce(ctx.db, 2).then(() => ({ statusCode: 'drained' }))),
    ]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([...Array(12).fill(201), ...Array(4).fill('drained')]);
    const rollup = async () => (await sql`select * from agg_rollup order by dimension, local_day, dim_value`.execute(ctx.db)).rows;
    await catchUp(ctx.db);
    const incremental = await rollup();
    await rebuildAggregates(ctx.db);
    expect(await rollup()).toEqual(incremental);
  });
});
