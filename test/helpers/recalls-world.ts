import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { generateResidentId } from '../../src/modules/patients/index.ts';
import { adminToken, bearer, tokenFor } from './auth.ts';
import { createTestContext, type TestContext } from './context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeScope } from './factories.ts';

/**
 * The world recalls are tested in (test/recalls.test.ts, test/recall-decisions.test.ts): an issuer certified in a
 * national scope, a receiver that checks and recognises its CT results, a bystander, and an administrator; the clock
 * pinned at `now`. Each test gets a fresh patient (`idNumber`) and accession number. The bindings below are live:
 * a test file imports them and reads what `useRecallsWorld`'s hooks last set.
 */
export let ctx: TestContext;
export const now = new Date('2026-11-30T02:00:00Z');
export const day = 86_400_000;
export const ago = (days: number) => new Date(now.getTime() - days * day);

export let issuer: string;
export let receiver: string;
let bystander: string;
export let national: string;
export let ct: string;
export let issuerAuth: Record<string, string>;
export let receiverAuth: Record<string, string>;
export let bystanderAuth: Record<string, string>;
export let adminAuth: Record<string, string>;

export let idNumber: string;
export let seq = 300;
export let accessionNo: string;

/** Registers the hooks that build the world before the test file and give each test its patient and accession number. */
export function useRecallsWorld() {
  beforeAll(async () => {
    ctx = await createTestContext();
    ctx.clock.set(now);
    issuer = await makeHospital(ctx.db, { city: 'Hangzhou' });
    receiver = await makeHospital(ctx.db, { city: 'Ningbo', priceTier: 'T2' });
    bystander = await makeHospital(ctx.db, { city: 'Wenzhou' });
    national = await makeScope(ctx.db, { level: 'national' });
    await certify(ctx.db, { hospitalId: issuer, scopeId: national });
    ct = await makeItem(ctx.db, { name: 'CT chest', category: 'ct', validityDays: 30, prices: { T1: 320, T2: 280 }, minutesSaved: 60 });
    const client = async (hospitalId: string) => {
      const c = await makeHospitalClient(ctx.db, hospitalId);
      return bearer(await tokenFor(ctx.app, c.clientId, c.clientSecret));
    };
    issuerAuth = await client(issuer);
    receiverAuth = await client(receiver);
    bystanderAuth = await client(bystander);
    adminAuth = bearer(await adminToken(ctx.app));
  });
  afterAll(() => ctx.close());
  beforeEach(() => {
    idNumber = generateResidentId('19700101', '330106', String(seq++));
    accessionNo = `ACC-${seq}`;
  });
}

const patient = () => ({ idType: 'resident_id', idNumber });
export const ctBody = (extra: Record<string, unknown> = {}) => ({
  patient: patient(),
  itemCode: ct,
  performedAt: ago(5).toISOString(),
  status: 'final',
  studyUid: '1.2.3',
  findings: 'No nodules.',
  ...extra,
});

export const submit = (body: object, acc = accessionNo) =>
  ctx.app.inject({ method: 'PUT', url: `/v1/results/${acc}`, headers: issuerAuth, payload: body });

export const check = (headers = receiverAuth) =>
  ctx.app.inject({
    method: 'POST',
    url: '/v1/recognition-checks',
    headers,
    payload: { practitionerId: 'DR-9', patient: patient(), items: [ct], purpose: 'treatment' },
  });

export const decide = (checkId: string, resultId: string, action = 'recognized', headers = receiverAuth) =>
  ctx.app.inject({
    method: 'POST',
    url: `/v1/recognition-checks/${checkId}/decisions`,
    headers,
    payload: { decisions: [{ resultId, action, ...(action === 'declined' ? { reasonCode: 'D6_OTHER', reasonText: 'x' } : {}) }] },
  });

export const recallsOf = async (headers: Record<string, string>, query = '') => {
  const response = await ctx.app.inject({ method: 'GET', url: `/v1/recalls${query}`, headers });
  expect(response.statusCode).toBe(200);
  return response.json().recalls as {
    recallId: string;
    cause: string;
    result: { resultId: string; version: number | null };
    [k: string]: unknown;
  }[];
};

/** A result of the issuer, checked and recognised by the receiver; answers the ids. */
export async function recognised(extra: Record<string, unknown> = {}) {
  const created = await submit(ctBody(extra));
  expect(created.statusCode).toBe(201);
  const resultId = created.json().resultId as string;
  const checked = await check();
  expect(checked.statusCode).toBe(201);
  const checkId = checked.json().checkId as string;
  const decided = await decide(checkId, resultId);
  expect(decided.statusCode).toBe(201);
  return { resultId, checkId, decisionId: decided.json().decisions[0].decisionId as string };
}

export const ofResult = (recalls: Awaited<ReturnType<typeof recallsOf>>, resultId: string) =>
  recalls.filter((r) => r.result.resultId === resultId);
