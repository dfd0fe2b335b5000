import type { Bundle, DiagnosticReport, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessWorld, checkBody, post } from './helpers/access.ts';
import { auditedRequest } from './helpers/audit.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';
import { cbcReport, ctReport, fhirClient, fhirErrors, fhirWorld, listen, resultsBundle, type FhirWorld } from './helpers/fhir.ts';
import { ctSubmission, putResult, residentId } from './helpers/results.ts';

let ctx: TestContext;
let world: FhirWorld;
let base: string;
let readerToken: string;
let ctId: string;
let cbcId: string;
const idNumber = residentId('19660412');
const patientParam = `urn:oid:2.16.156.10011.1.3|${idNumber}`;
const day = 86_400_000;

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.clock.set('2026-12-01T00:00:00Z');
  world = await fhirWorld(ctx.app, ctx.db);
  base = await listen(ctx.app);
  await fhirClient(base, await world.writerToken()).transaction({
    body: resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-5001'), ct: ctReport(world, 'CT-6001') }),
  });
  readerToken = await world.readerToken();
  const found = (await fhirClient(base, readerToken).search({
    resourceType: 'DiagnosticReport',
    searchParams: { 'patient.identifier': patientParam },
  })) as unknown as Bundle;
  [ctId, cbcId] = (found.entry ?? []).map((e) => e.resource!.id!);
});
afterAll(async () => {
  await ctx.close();
});

/** GET [base]/{path} with a token and a practitioner (unless told otherwise). */
async function read(path: string, token: string | null = readerToken, practitionerId: string | null = 'DR-0077') {
  const response = await fetch(`${base}/${path}`, {
    headers: { ...(token ? bearer(token) : {}), ...(practitionerId ? { 'x-practitioner-id': practitionerId } : {}) },
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Resource };
}

describe('GET /fhir/r4/DiagnosticReport/{id} and ImagingStudy/{id}', () => {
  it("reads what a search gave, at the searchset's fullUrl, with the subject masked, and audits the read", async () => {
    const report = await read(`DiagnosticReport/${cbcId}`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(report.headers.get('etag')).toBe('W/"1"');
    const cbc = report.body as DiagnosticReport;
    expect(cbc).toMatchObject({ resourceType: 'DiagnosticReport', id: cbcId, identifier: [{ value: 'CBC-5001' }], status: 'final' });
    expect(cbc.contained).toHaveLength(6);
    expect(cbc.subject).toMatchObject({ extension: [{ valueCode: 'masked' }] });
    expect(JSON.stringify(cbc)).not.toContain(idNumber);
    expect(fhirErrors(cbc)).toEqual([]);

    const study = await read(`ImagingStudy/${ctId}`);
    expect(study.status).toBe(200);
    expect(study.body).toMatchObject({ resourceType: 'ImagingStudy', id: ctId, modality: [{ code: 'CT' }], status: 'available' });
    expect(fhirErrors(study.body)).toEqual([]);

    const events = await ctx.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'results.read')
      .where('hospital_id', '=', world.hospitalB)
      .orderBy('id')
      .execute();
    expect(events.map((e) => [e.outcome, e.practitioner_id, e.purpose, e.result_ids])).toEqual([
      ['success', 'DR-0077', 'treatment', [cbcId]],
      ['success', 'DR-0077', 'treatment', [ctId]],
    ]);
    expect(events[0].patient_key).not.toBeNull();
  });

  it('lets the issuer read its own results without a search', async () => {
    const own = await read(`DiagnosticReport/${ctId}`, await world.writerToken());
    expect(own.status).toBe(200);
    expect((own.body as DiagnosticReport).imagingStudy).toEqual([{ reference: `ImagingStudy/${ctId}` }]);
  });

  it('answers 404 alike for a result never given, an unknown id, an id of no UUID and a lab result as ImagingStudy, audited as refused (under the patient when the result exists)', async () => {
    const stranger = await makeHospital(ctx.db, { city: 'Wenzhou' });
    const { clientId, clientSecret } = await makeHospitalClient(ctx.db, stranger);
    const strangerToken = await tokenFor(ctx.app, clientId, clientSecret);
    const refusals = [
      await read(`DiagnosticReport/${cbcId}`, strangerToken),
      await read(`DiagnosticReport/${cbcId}`, strangerToken), // its own refused read gives it nothing
      await read('DiagnosticReport/0193a5f0-0000-7000-8000-000000000000'),
      await read('DiagnosticReport/not-a-result'),
      await read(`DiagnosticReport/${cbcId.toUpperCase()}`), // FHIR ids are case-sensitive
      await read(`ImagingStudy/${cbcId}`),
    ];
    expect(refusals.map((r) => [r.status, (r.body as OperationOutcome).issue[0].code])).toEqual(Array(6).fill([404, 'not-found']));
    const { patient_key } = await ctx.db.selectFrom('results').select('patient_key').where('id', '=', cbcId).executeTakeFirstOrThrow();
    const reached = { patient_key, result_ids: [cbcId] };
    const nothing = { patient_key: null, result_ids: [] };
    const subjects = [reached, reached, nothing, nothing, nothing, reached];
    for (const [n, refusal] of refusals.entries()) {
      const requestId = (refusal.body as OperationOutcome).issue[0].diagnostics!.replace('request ', '');
      expect(await auditedRequest(ctx.db, requestId), `refusal ${n}`).toMatchObject({
        action: 'results.read',
        outcome: 'refused',
        outcome_detail: '404 not-found',
        practitioner_id: 'DR-0077',
        ...subjects[n],
      });
    }
    // The answer says no more than for an id that names nothing.
    const [given, unknown] = [refusals[0], refusals[2]].map((r) =>
      (r.body as OperationOutcome).issue[0].details!.text!.replace(/[0-9a-f-]{36}/g, 'ID'),
    );
    expect(given).toBe(unknown);
    const strangers = await ctx.db.selectFrom('audit_events').select('outcome').where('hospital_id', '=', stranger).execute();
    expect(strangers.map((e) => e.outcome)).toEqual(['refused', 'refused']);
  });

  it('refuses a read with no practitioner, no token, a bad id or SMART scopes without read', async () => {
    expect((await read(`DiagnosticReport/${cbcId}`, readerToken, null)).status).toBe(400);
    expect((await read(`DiagnosticReport/${cbcId}`, null)).status).toBe(401);
    const badId = await read(`DiagnosticReport/${'x'.repeat(65)}`);
    expect([badId.status, badId.body.resourceType]).toEqual([400, 'OperationOutcome']);
    const searchOnly = await read(`DiagnosticReport/${cbcId}`, await world.readerToken('system/DiagnosticReport.s'));
    expect([searchOnly.status, (searchOnly.body as OperationOutcome).issue[0].code]).toEqual([403, 'forbidden']);
    const readOnly = await read(`DiagnosticReport/${cbcId}`, await world.readerToken('system/DiagnosticReport.r'));
    expect(readOnly.status).toBe(200);
  });

  it(`forgets a search's disclosure after a day, however often the result was read since; a new search gives it again`, async () => {
    ctx.clock.advance(day / 2);
    try {
      expect((await read(`DiagnosticReport/${cbcId}`, await world.readerToken())).status).toBe(200);
      ctx.clock.advance(day / 2 + 60_000);
      const token = await world.readerToken();
      expect((await read(`DiagnosticReport/${cbcId}`, token)).status).toBe(404);
      await fhirClient(base, token).search({ resourceType: 'DiagnosticReport', searchParams: { 'patient.identifier': patientParam } });
      expect((await read(`DiagnosticReport/${cbcId}`, token)).status).toBe(200);
    } finally {
      ctx.clock.set('2026-12-01T00:00:00Z');
    }
  });
});

describe('a read by id after a check', () => {
  it('is allowed while the check is recent, and for good once the result is recognised', async () => {
    const access = await accessWorld(ctx);
    const patient = residentId('19720901');
    await putResult(ctx.app, access.issuerClient.token, 'CT-READ-1', ctSubmission(patient, access.ct));
    const onlyChecked = await access.client(await makeHospital(ctx.db));
    const checkOf = async (token: string) => {
      const check = await post(ctx, '/v1/recognition-checks', checkBody(patient, [access.ct]), token);
      expect(check.statusCode).toBe(201);
      const { checkId, items } = check.json() as { checkId: string; items: { candidates: { resultId: string; outcome: string }[] }[] };
      expect(items[0].candidates.map((c) => c.outcome)).toEqual(['RECOGNIZABLE']);
      return { checkId, resultId: items[0].candidates[0].resultId };
    };
    const { checkId, resultId } = await checkOf(access.receiverClient.token);
    await checkOf(onlyChecked.token);
    // The check gave the result to the hospital, not to the client that asked: another client of it reads it.
    const colleague = await access.client(access.receiver);
    expect((await read(`DiagnosticReport/${resultId}`, colleague.token)).status).toBe(200);
    expect((await read(`DiagnosticReport/${resultId}`, onlyChecked.token)).status).toBe(200);
    const decided = await post(
      ctx,
      `/v1/recognition-checks/${checkId}/decisions`,
      { decisions: [{ resultId, action: 'recognized' }], practitionerId: 'DR-CHECK' },
      access.receiverClient.token,
    );
    expect(decided.statusCode).toBe(201);

    ctx.clock.advance(30 * day);
    try {
      const recogniser = await access.client(access.receiver);
      expect((await read(`DiagnosticReport/${resultId}`, recogniser.token)).status).toBe(200);
      const checker = await tokenFor(ctx.app, onlyChecked.clientId, onlyChecked.clientSecret);
      expect((await read(`DiagnosticReport/${resultId}`, checker)).status).toBe(404);
    } finally {
      ctx.clock.set('2026-12-01T00:00:00Z');
    }
  });
});
