import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateResidentId, patientKey } from '../src/modules/patients/index.ts';
import { auditedRequest } from './helpers/audit.ts';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, patientKeySecret, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeScope } from './helpers/factories.ts';

// Recalls: a result some hospital recognised is later amended, withdrawn or falls under a retroactive
// revocation; the recognising hospital is told, in the same transaction as the cause.

let ctx: TestContext;
const now = new Date('2026-11-30T02:00:00Z');
const day = 86_400_000;
const ago = (days: number) => new Date(now.getTime() - days * day);

let issuer: string;
let receiver: string;
let bystander: string;
let national: string;
let ct: string;
let issuerAuth: Record<string, string>;
let receiverAuth: Record<string, string>;
let bystanderAuth: Record<string, string>;
let adminAuth: Record<string, string>;

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

let idNumber: string;
let seq = 300;
let accessionNo: string;
beforeEach(() => {
  idNumber = generateResidentId('19700101', '330106', String(seq++));
  accessionNo = `ACC-${seq}`;
});

const patient = () => ({ idType: 'resident_id', idNumber });
const ctBody = (extra: Record<string, unknown> = {}) => ({
  patient: patient(),
  itemCode: ct,
  performedAt: ago(5).toISOString(),
  status: 'final',
  studyUid: '1.2.3',
  findings: 'No nodules.',
  ...extra,
});

const submit = (body: object, acc = accessionNo) =>
  ctx.app.inject({ method: 'PUT', url: `/v1/results/${acc}`, headers: issuerAuth, payload: body });

const check = (headers = receiverAuth) =>
  ctx.app.inject({
    method: 'POST',
    url: '/v1/recognition-checks',
    headers,
    payload: { practitionerId: 'DR-9', patient: patient(), items: [ct], purpose: 'treatment' },
  });

const decide = (checkId: string, resultId: string, action = 'recognized', headers = receiverAuth) =>
  ctx.app.inject({
    method: 'POST',
    url: `/v1/recognition-checks/${checkId}/decisions`,
    headers,
    payload: { decisions: [{ resultId, action, ...(action === 'declined' ? { reasonCode: 'D6_OTHER', reasonText: 'x' } : {}) }] },
  });

const recallsOf = async (headers: Record<string, string>, query = '') => {
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
async function recognised(extra: Record<string, unknown> = {}) {
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

const ofResult = (recalls: Awaited<ReturnType<typeof recallsOf>>, resultId: string) =>
  recalls.filter((r) => r.result.resultId === resultId);

describe('recalls of amended and withdrawn results', () => {
  it('an amendment of clinical content recalls the result from the hospital that recognised it, with what changed', async () => {
    const { resultId, checkId, decisionId } = await recognised();
    const amended = await submit(ctBody({ findings: 'A 6 mm nodule in the right upper lobe.', status: 'amended' }));
    expect(amended.json().outcome).toBe('updated');
    const [recall, ...others] = ofResult(await recallsOf(receiverAuth), resultId);
    expect(others).toEqual([]);
    expect(recall).toMatchObject({
      hospitalId: receiver,
      cause: 'amended',
      result: { resultId, issuingHospitalId: issuer, accessionNo, itemCode: ct, version: 2 },
      changedFields: ['status', 'findings'],
      reasons: [],
      certificationEventId: null,
      acknowledgement: null,
    });
    expect(recall.recognitions).toEqual([
      expect.objectContaining({
        decisionId,
        checkId,
        itemCode: ct,
        practitionerId: 'DR-9',
        patientKey: patientKey(patientKeySecret, 'resident_id', idNumber),
      }),
    ]);
    // The issuer and bystanders are not recalled.
    expect(ofResult(await recallsOf(issuerAuth), resultId)).toEqual([]);
    expect(ofResult(await recallsOf(bystanderAuth), resultId)).toEqual([]);
  });

  it('a corrected patient recalls the result from the hospital that recognised it for the patient it no longer belongs to', async () => {
    const { resultId, decisionId } = await recognised();
    const corrected = generateResidentId('19800202', '330106', String(seq));
    const moved = await submit({ ...ctBody(), patient: { idType: 'resident_id', idNumber: corrected } });
    expect(moved.json()).toMatchObject({ resultId, outcome: 'updated', version: 2 });
    const [recall, ...others] = ofResult(await recallsOf(receiverAuth), resultId);
    expect(others).toEqual([]);
    expect(recall).toMatchObject({ cause: 'amended', changedFields: ['patient'], result: { resultId, version: 2 } });
    expect(recall.recognitions).toEqual([
      expect.objectContaining({ decisionId, patientKey: patientKey(patientKeySecret, 'resident_id', idNumber) }),
    ]);
  });

  it('a withdrawal recalls with the reason; a resubmission changing only bookkeeping does not', async () => {
    const { resultId } = await recognised();
    await ctx.db
      .insertInto('code_maps')
      .values({ hospital_id: issuer, local_code: `L-${seq}`, item_code: ct })
      .execute();
    const bookkeeping = await submit({ ...ctBody(), itemCode: undefined, localCode: `L-${seq}` });
    expect(bookkeeping.json().outcome).toBe('updated');
    expect(ofResult(await recallsOf(receiverAuth), resultId)).toEqual([]);

    await submit({ ...ctBody({ status: 'entered-in-error' }), itemCode: undefined, localCode: `L-${seq}` });
    const [recall] = ofResult(await recallsOf(receiverAuth), resultId);
    expect(recall).toMatchObject({
      cause: 'withdrawn',
      reasons: ['NR_REPORT_WITHDRAWN'],
      changedFields: ['status'],
      result: { version: 3 },
    });
  });

  it('reaches only recognitions within the horizon, and no declines', async () => {
    const { resultId } = await recognised();
    const declinedOnly = await submit(ctBody(), `${accessionNo}-D`);
    const declinedId = declinedOnly.json().resultId as string;
    const checkId = (await check()).json().checkId as string;
    expect((await decide(checkId, declinedId, 'declined')).statusCode).toBe(201);
    ctx.clock.set(new Date(now.getTime() + 181 * day));
    try {
      await submit(ctBody({ findings: 'corrected late' }));
      await submit(ctBody({ findings: 'corrected' }), `${accessionNo}-D`);
    } finally {
      ctx.clock.set(now);
    }
    const recalls = await recallsOf(receiverAuth);
    expect(ofResult(recalls, resultId)).toEqual([]);
    expect(ofResult(recalls, declinedId)).toEqual([]);
  });

  it('is created in the transaction of its cause: a failed amendment leaves no recall', async () => {
    const { resultId } = await recognised();
    const before = await ctx.db
      .selectFrom('recalls')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // A recall that cannot be stored (a constraint the service does not expect) fails its amendment too.
    await sql`alter table recalls add constraint recalls_test_refuse check (false) not valid`.execute(ctx.db);
    try {
      const response = await submit(ctBody({ findings: 'changed' }));
      expect(response.statusCode).toBe(500);
    } finally {
      await ctx.db.schema.alterTable('recalls').dropConstraint('recalls_test_refuse').execute();
    }
    const after = await ctx.db
      .selectFrom('recalls')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    const stored = await ctx.app.inject({ method: 'GET', url: `/v1/results/${accessionNo}`, headers: issuerAuth });
    expect(stored.json()).toMatchObject({ resultId, version: 1, findings: 'No nodules.' });
  });
});

describe('decisions are judged again at decision time', () => {
  it('refuses a recognition of a result withdrawn since the check (409 with the reasons), logging nothing', async () => {
    const created = await submit(ctBody());
    const resultId = created.json().resultId as string;
    const checkId = (await check()).json().checkId as string;
    await submit(ctBody({ status: 'entered-in-error' }));
    const refused = await decide(checkId, resultId);
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 409, refused: [{ resultId, itemCode: ct, reasons: ['NR_REPORT_WITHDRAWN'] }] });
    const decisions = await ctx.db.selectFrom('recognition_decisions').select('id').where('check_id', '=', checkId).execute();
    expect(decisions).toEqual([]);
    // A decline stays possible: the doctor repeats the exam.
    expect((await decide(checkId, resultId, 'declined')).statusCode).toBe(201);
  });

  it('refuses a recognition of a result moved to another patient since the check, logging nothing', async () => {
    const created = await submit(ctBody());
    const resultId = created.json().resultId as string;
    const checkId = (await check()).json().checkId as string;
    await submit({
      ...ctBody(),
      patient: { idType: 'resident_id', idNumber: generateResidentId('19800202', '330106', String(seq)) },
    });
    const refused = await decide(checkId, resultId);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ refused: [{ resultId, itemCode: ct, reasons: [] }] });
    expect(refused.json().detail).toMatch(/no longer indexed for this patient/);
    const decisions = await ctx.db.selectFrom('recognition_decisions').select('id').where('check_id', '=', checkId).execute();
    expect(decisions).toEqual([]);
  });

  it('refuses a recognition after a retroactive revocation recorded since the check', async () => {
    const other = await makeHospital(ctx.db, { city: 'Hangzhou' });
    await certify(ctx.db, { hospitalId: other, scopeId: national });
    const otherClient = await makeHospitalClient(ctx.db, other);
    const otherAuth = bearer(await tokenFor(ctx.app, otherClient.clientId, otherClient.clientSecret));
    const created = await ctx.app.inject({ method: 'PUT', url: `/v1/results/${accessionNo}`, headers: otherAuth, payload: ctBody() });
    const resultId = created.json().resultId as string;
    const checkId = (await check()).json().checkId as string;
    const revoked = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${other}/certifications`,
      headers: adminAuth,
      payload: { scopeId: national, status: 'revoked', effectiveFrom: ago(30).toISOString(), note: 'falsified QC records' },
    });
    expect(revoked.statusCode).toBe(201);
    const refused = await decide(checkId, resultId);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().refused[0].reasons).toContain('NR_ISSUER_REVOKED');
  });
});

describe('a decision racing a withdrawal', () => {
  it('either refuses the recognition or is recalled by the withdrawal: never a silent reuse', async () => {
    for (let round = 0; round < 6; round++) {
      const acc = `${accessionNo}-R${round}`;
      const resultId = (await submit(ctBody(), acc)).json().resultId as string;
      const checkId = (await check()).json().checkId as string;
      const [decided, withdrawn] = await Promise.all([decide(checkId, resultId), submit(ctBody({ status: 'entered-in-error' }), acc)]);
      expect(withdrawn.statusCode).toBe(200);
      const recalled = ofResult(await recallsOf(receiverAuth), resultId);
      if (decided.statusCode === 201) expect(recalled.map((r) => r.cause)).toEqual(['withdrawn']);
      else {
        expect(decided.statusCode).toBe(409);
        expect(recalled).toEqual([]);
      }
    }
  });
});

describe('recalls after a retroactive suspension or revocation', () => {
  it('recalls each recognition the event makes no longer recognisable, once', async () => {
    const revokedIssuer = await makeHospital(ctx.db, { city: 'Hangzhou' });
    await certify(ctx.db, { hospitalId: revokedIssuer, scopeId: national, effectiveFrom: '2020-01-01T00:00:00Z' });
    const c = await makeHospitalClient(ctx.db, revokedIssuer);
    const auth = bearer(await tokenFor(ctx.app, c.clientId, c.clientSecret));
    const early = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/results/${accessionNo}-E`,
      headers: auth,
      payload: ctBody({ performedAt: ago(20).toISOString() }),
    });
    const late = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/results/${accessionNo}-L`,
      headers: auth,
      payload: ctBody({ performedAt: ago(3).toISOString() }),
    });
    const checked = (await check()).json();
    const ids = checked.items[0].candidates.map((c: { resultId: string }) => c.resultId);
    expect(ids).toEqual(expect.arrayContaining([early.json().resultId, late.json().resultId]));
    // One recognition per item: recognise the late one in this check, the early one in a second.
    expect((await decide(checked.checkId, late.json().resultId)).statusCode).toBe(201);
    const second = (await check()).json().checkId;
    expect((await decide(second, early.json().resultId)).statusCode).toBe(201);

    const revoke = (status: string, effectiveFrom: Date) =>
      ctx.app.inject({
        method: 'POST',
        url: `/v1/hospitals/${revokedIssuer}/certifications`,
        headers: adminAuth,
        payload: { scopeId: national, status, effectiveFrom: effectiveFrom.toISOString() },
      });
    // Revoked from 10 days ago: the exam of 3 days ago falls under it, the one of 20 days ago does not.
    const event = await revoke('revoked', ago(10));
    expect(event.statusCode).toBe(201);
    const recalls = await recallsOf(receiverAuth);
    expect(ofResult(recalls, early.json().resultId)).toEqual([]);
    const [recall, ...more] = ofResult(recalls, late.json().resultId);
    expect(more).toEqual([]);
    expect(recall).toMatchObject({ cause: 'certification', reasons: ['NR_ISSUER_REVOKED'], certificationEventId: event.json().id });
    // A second event that changes nothing for it (already not recognisable) recalls nothing more.
    await revoke('suspended', ago(8));
    expect(ofResult(await recallsOf(receiverAuth), late.json().resultId)).toHaveLength(1);
    // Reinstating never recalls.
    await revoke('active', ago(1));
    expect(ofResult(await recallsOf(receiverAuth), late.json().resultId)).toHaveLength(1);
  });
});

describe('reading and acknowledging recalls', () => {
  it('pages, filters by status and acknowledges once, only by the recalled hospital', async () => {
    const { resultId } = await recognised();
    await submit(ctBody({ findings: 'first correction' }));
    await submit(ctBody({ findings: 'second correction' }));
    const mine = ofResult(await recallsOf(receiverAuth), resultId);
    expect(mine).toHaveLength(2);
    const [newest, oldest] = mine;
    expect(newest.result.version).toBe(3);

    const firstPage = await ctx.app.inject({ method: 'GET', url: '/v1/recalls?limit=1', headers: receiverAuth });
    expect(firstPage.json().recalls).toHaveLength(1);
    const cursor = firstPage.json().nextCursor as string;
    const secondPage = await ctx.app.inject({ method: 'GET', url: `/v1/recalls?limit=1&cursor=${cursor}`, headers: receiverAuth });
    expect(secondPage.json().recalls[0].recallId).not.toBe(firstPage.json().recalls[0].recallId);
    const badCursor = await ctx.app.inject({ method: 'GET', url: '/v1/recalls?cursor=nonsense', headers: receiverAuth });
    expect(badCursor.statusCode).toBe(400);

    const ack = (id: string, body: object, headers = receiverAuth) =>
      ctx.app.inject({ method: 'POST', url: `/v1/recalls/${id}/acknowledge`, headers, payload: body });
    expect((await ack(oldest.recallId, { acknowledgedBy: 'DR-9' }, bystanderAuth)).statusCode).toBe(404);
    expect((await ack(oldest.recallId, { acknowledgedBy: 'DR-9' }, adminAuth)).statusCode).toBe(403);
    expect((await ack(oldest.recallId, {})).statusCode).toBe(400);
    const done = await ack(oldest.recallId, { acknowledgedBy: 'DR-9', note: 'Patient called back for a repeat CT.' });
    expect(done.statusCode).toBe(200);
    expect(done.json().acknowledgement).toMatchObject({ acknowledgedBy: 'DR-9', note: 'Patient called back for a repeat CT.' });
    expect((await ack(oldest.recallId, { acknowledgedBy: 'DR-9', note: 'Patient called back for a repeat CT.' })).statusCode).toBe(200);
    expect((await ack(oldest.recallId, { acknowledgedBy: 'DR-1' })).statusCode).toBe(409);

    const open = ofResult(await recallsOf(receiverAuth, '?status=open'), resultId);
    expect(open.map((r) => r.recallId)).toEqual([newest.recallId]);
    const acknowledged = ofResult(await recallsOf(receiverAuth, '?status=acknowledged'), resultId);
    expect(acknowledged.map((r) => r.recallId)).toEqual([oldest.recallId]);

    // Administrators read everyone's; hospitals only their own.
    expect(ofResult(await recallsOf(adminAuth, `?hospitalId=${receiver}`), resultId)).toHaveLength(2);
    const other = await ctx.app.inject({ method: 'GET', url: `/v1/recalls?hospitalId=${receiver}`, headers: bystanderAuth });
    expect(other.statusCode).toBe(403);
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/recalls/${newest.recallId}`, headers: bystanderAuth })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/recalls/${newest.recallId}`, headers: receiverAuth })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/recalls' })).statusCode).toBe(401);
  });
});

describe('result history', () => {
  it('lists every version with its client, status and changed fields to the issuer, admins and recognising hospitals only', async () => {
    const { resultId } = await recognised();
    await submit(ctBody({ status: 'corrected', findings: 'Corrected: no nodules, small effusion.' }));
    const history = (headers: Record<string, string>, query = '') =>
      ctx.app.inject({ method: 'GET', url: `/v1/results/${accessionNo}/history${query}`, headers });
    const own = await history(issuerAuth);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({
      resultId,
      accessionNo,
      issuingHospitalId: issuer,
      currentVersion: 2,
      versions: [
        { version: 1, status: 'final', changedFields: [] },
        { version: 2, status: 'corrected', changedFields: ['status', 'findings'] },
      ],
    });
    expect(own.json().versions[0].recordedBy).toMatch(new RegExp(`^${issuer}-client-`));
    expect((await history(receiverAuth, `?issuer=${issuer}`)).statusCode).toBe(200);
    expect((await history(adminAuth, `?issuer=${issuer}`)).statusCode).toBe(200);
    expect((await history(adminAuth)).statusCode).toBe(400);
    const bystander = await history(bystanderAuth, `?issuer=${issuer}`);
    expect(bystander.statusCode).toBe(404);
    expect((await history(receiverAuth)).statusCode).toBe(404);
    // The refusal says nothing of the result, but the trail records whose result was asked for.
    const { patient_key } = await ctx.db.selectFrom('results').select('patient_key').where('id', '=', resultId).executeTakeFirstOrThrow();
    expect(await auditedRequest(ctx.db, bystander.headers['x-request-id'] as string)).toMatchObject({
      outcome: 'refused',
      patient_key,
      result_ids: [resultId],
    });
    const audited = await ctx.db
      .selectFrom('audit_events')
      .select(['client_id', 'outcome'])
      .where('action', '=', 'results.history')
      .where(sql<boolean>`${resultId}::uuid = any(result_ids)`)
      .execute();
    expect(audited.length).toBeGreaterThanOrEqual(3);
  });
});
