import { expect } from 'vitest';
import { catchUp } from '../../src/modules/reports/index.ts';
import { generateResidentId, patientKey } from '../../src/modules/patients/index.ts';
import { adminToken, bearer, tokenFor } from './auth.ts';
import { patientKeySecret, type TestContext } from './context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeResult, makeScope } from './factories.ts';

/** The reports' world, shared by test/reports.test.ts and test/reports-flows.test.ts. */
export type ReportsWorld = Awaited<ReturnType<typeof reportsWorld>>;

// 2026-11-20 23:50 and 2026-11-21 00:10 in Asia/Shanghai straddle midnight there (15:50 and 16:10 UTC).
export const beforeMidnight = new Date('2026-11-20T15:50:00Z');
export const afterMidnight = new Date('2026-11-20T16:10:00Z');

/**
 * An issuer and two receiving hospitals (Ningbo at tier T2, Wenzhou at T1), a CT and a CBC, and six
 * checks with their decisions either side of Shanghai midnight on 20 November 2026, counted by the
 * aggregator; the clock is left at 2026-11-22 04:00 UTC.
 */
export async function reportsWorld(ctx: TestContext) {
  const admin = bearer(await adminToken(ctx.app));
  const hospitals: Record<string, { id: string; auth: Record<string, string> }> = {};

  const national = await makeScope(ctx.db, { level: 'national' });
  const ct = await makeItem(ctx.db, { category: 'ct', prices: { T1: 300, T2: 250 }, minutesSaved: 60, radiationMsv: 7 });
  const cbc = await makeItem(ctx.db, {
    category: 'lab',
    prices: { T1: 20, T2: 18 },
    minutesSaved: 30,
    radiationMsv: null,
    validityDays: 7,
  });
  for (const [name, seed] of Object.entries({
    issuer: { city: 'Hangzhou', priceTier: 'T1' },
    ningbo: { city: 'Ningbo', priceTier: 'T2' },
    wenzhou: { city: 'Wenzhou', priceTier: 'T1' },
  })) {
    const id = await makeHospital(ctx.db, { ...seed, name: `${name} hospital` });
    await certify(ctx.db, { hospitalId: id, scopeId: national });
    const client = await makeHospitalClient(ctx.db, id);
    hospitals[name] = { id, auth: bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret)) };
  }

  /**
   * A patient's results at the issuer three days before `at`, then `receiver`'s check at `at`:
   * the check's id and the decisions `decide` makes of its candidates (not yet sent).
   */
  async function scenario(
    receiver: string,
    patientSeq: number,
    at: Date,
    items: string[],
    decide: (candidates: Map<string, string[]>) => object[],
  ) {
    const idNumber = generateResidentId('19750505', '330106', String(patientSeq).padStart(3, '0'));
    const key = patientKey(patientKeySecret, 'resident_id', idNumber);
    ctx.clock.set(new Date(at.getTime() - 3 * 86_400_000));
    for (const item of items)
      await makeResult(ctx.db, {
        hospitalId: hospitals.issuer.id,
        patientKey: key,
        itemCode: item,
        kind: item === ct ? 'images' : 'data',
        performedAt: ctx.clock(),
      });
    ctx.clock.set(at);
    const check = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: hospitals[receiver].auth,
      payload: { practitionerId: `DR-${receiver}`, patient: { idType: 'resident_id', idNumber }, items, purpose: 'treatment' },
    });
    expect(check.statusCode).toBe(201);
    const body = check.json();
    const candidates = new Map<string, string[]>(
      body.items.map((i: { itemCode: string; candidates: { resultId: string }[] }) => [i.itemCode, i.candidates.map((c) => c.resultId)]),
    );
    const decisions = decide(candidates);
    return { checkId: body.checkId as string, decisions };
  }

  /** Sends a scenario's decisions as `receiver` (not asserted: concurrent senders check their answers together). */
  const sendDecisions = (receiver: string, run: { checkId: string; decisions: object[] }) =>
    ctx.app.inject({
      method: 'POST',
      url: `/v1/recognition-checks/${run.checkId}/decisions`,
      headers: hospitals[receiver].auth,
      payload: { decisions: run.decisions },
    });

  // Ningbo: two checks either side of Shanghai midnight, recognising CT and CBC, then declining one.
  const first = await scenario('ningbo', 1, beforeMidnight, [ct, cbc], (c) => [
    { resultId: c.get(ct)![0], action: 'recognized' },
    { resultId: c.get(cbc)![0], action: 'recognized' },
  ]);
  expect((await sendDecisions('ningbo', first)).statusCode).toBe(201);
  const runs = [
    await scenario('ningbo', 2, afterMidnight, [ct], (c) => [
      { resultId: c.get(ct)![0], action: 'declined', reasonCode: 'D8_NO_REFERENCE_VALUE' },
    ]),
    await scenario('wenzhou', 3, afterMidnight, [ct, cbc], (c) => [
      { resultId: c.get(ct)![0], action: 'recognized' },
      { resultId: c.get(cbc)![0], action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' },
    ]),
    await scenario('wenzhou', 4, afterMidnight, [cbc], (c) => [{ resultId: c.get(cbc)![0], action: 'recognized' }]),
  ];
  // The rest arrive concurrently, after midnight.
  const receivers = ['ningbo', 'wenzhou', 'wenzhou'];
  const responses = await Promise.all(runs.map((run, i) => sendDecisions(receivers[i], run)));
  expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201]);
  // Reports read what the aggregator has counted; a test context runs no aggregator, so count now.
  await catchUp(ctx.db);
  ctx.clock.set('2026-11-22T04:00:00Z');
  return { admin, hospitals, ct, cbc, scenario, sendDecisions };
}
