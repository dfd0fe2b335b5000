import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generateResidentId, patientKey } from '../src/modules/patients/index.ts';
import { auditedRequest } from './helpers/audit.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { patientKeySecret } from './helpers/context.ts';
import { certify, makeHospital, makeHospitalClient } from './helpers/factories.ts';
import {
  accessionNo,
  adminAuth,
  ago,
  bystanderAuth,
  check,
  ct,
  ctBody,
  ctx,
  day,
  decide,
  idNumber,
  issuer,
  issuerAuth,
  national,
  now,
  ofResult,
  receiver,
  receiverAuth,
  recallsOf,
  recognised,
  seq,
  submit,
  useRecallsWorld,
} from './helpers/recalls-world.ts';

// Recalls: a result some hospital recognised is later amended, withdrawn or falls under a retroactive
// revocation; the recognising hospital is told, in the same transaction as the cause.

useRecallsWorld();

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
