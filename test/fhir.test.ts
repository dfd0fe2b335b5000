import type { Bundle, BundleEntry, OperationOutcome } from '@medplum/fhirtypes';
import type { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import {
  cbcReport,
  ctReport,
  ctStudy,
  failure,
  fhirClient,
  fhirWorld,
  listen,
  patient,
  resultsBundle,
  type FhirWorld,
} from './helpers/fhir.ts';
import { residentId } from './helpers/results.ts';

let ctx: TestContext;
let world: FhirWorld;
let base: string;
let client: Client;

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.clock.set('2026-12-01T00:00:00Z');
  world = await fhirWorld(ctx.app, ctx.db);
  base = await listen(ctx.app);
  client = fhirClient(base, await world.writerToken());
});
afterAll(async () => {
  await ctx.close();
});

const responses = (bundle: unknown) => ((bundle as Bundle).entry ?? []).map((e: BundleEntry) => e.response!);
const stored = (accessionNo: string) =>
  ctx.db
    .selectFrom('results')
    .selectAll()
    .where('issuing_hospital_id', '=', world.hospitalA)
    .where('accession_no', '=', accessionNo)
    .executeTakeFirst();

describe('POST /fhir/r4 transaction', () => {
  it('stores a lab report with contained Observations and a CT report with its ImagingStudy, as results', async () => {
    const idNumber = residentId();
    const answer = await client.transaction({
      body: resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-1001'), ct: ctReport(world, 'CT-2001') }),
    });
    expect(answer.resourceType).toBe('Bundle');
    expect(answer.type).toBe('transaction-response');
    const [forPatient, forCbc, forCt, forStudy] = responses(answer);
    expect(forPatient.status).toBe('200 OK');
    expect(forCbc).toMatchObject({
      status: '201 Created',
      etag: 'W/"1"',
      location: expect.stringMatching(/^DiagnosticReport\/[0-9a-f-]{36}\/_history\/1$/),
    });
    expect(forCt.status).toBe('201 Created');
    expect(forStudy.location).toBe(forCt.location!.replace('DiagnosticReport', 'ImagingStudy'));

    const cbc = await stored('CBC-1001');
    expect(cbc).toMatchObject({ item_code: world.cbc, status: 'final', kind: 'data', findings: 'Haematocrit slightly raised.' });
    expect(cbc!.performed_at.toISOString()).toBe('2026-11-25T00:30:00.000Z');
    expect(cbc!.reported_at!.toISOString()).toBe('2026-11-25T02:45:00.000Z');
    // 718-7 names the single-analyte item LAB-HGB, so HGB; the others carry the analyte code, or stay LOINC codes.
    expect(cbc!.analyte_codes).toEqual(['HGB', 'RBC', 'HCT', '787-2', 'WBC', 'PLT']);
    expect(cbc!.analytes![2]).toEqual({ code: 'HCT', value: 55, unit: '%', referenceRange: '38-52 %', flag: 'H' });

    const ct = await stored('CT-2001');
    expect(ct).toMatchObject({
      item_code: world.ct,
      local_code: world.ctLocalCode,
      kind: 'images',
      study_uid: '2.16.124.113543.6003.1154777499.30246.19789.3503430045',
      images_available: true,
      equipment: { modality: 'CT' },
    });
  });

  it('answers a resubmission 200 unchanged, and an amendment (corrected, then entered-in-error) with a new version', async () => {
    const idNumber = residentId();
    const bundle = () => resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-1002') });
    expect(responses(await client.transaction({ body: bundle() }))[1].status).toBe('201 Created');

    const again = responses(await client.transaction({ body: bundle() }))[1];
    expect(again).toMatchObject({ status: '200 OK', etag: 'W/"1"' });
    expect(again.outcome?.issue[0].details?.text).toMatch(/Unchanged/);

    const corrected = resultsBundle('transaction', {
      idNumber,
      cbc: cbcReport('CBC-1002', { status: 'corrected', conclusion: 'Haematocrit raised; repeat advised.' }),
    });
    const amended = responses(await client.transaction({ body: corrected }))[1];
    expect(amended).toMatchObject({ status: '200 OK', etag: 'W/"2"', location: expect.stringMatching(/\/_history\/2$/) });
    expect(await stored('CBC-1002')).toMatchObject({ status: 'corrected', version: 2, findings: 'Haematocrit raised; repeat advised.' });

    const withdrawn = resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-1002', { status: 'entered-in-error' }) });
    expect(responses(await client.transaction({ body: withdrawn }))[1]).toMatchObject({ status: '200 OK', etag: 'W/"3"' });
    expect(await stored('CBC-1002')).toMatchObject({ status: 'entered-in-error', version: 3 });
    const versions = await ctx.db
      .selectFrom('result_versions')
      .select('version')
      .where('result_id', '=', (await stored('CBC-1002'))!.id)
      .execute();
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3]);
  });

  it('refuses an invalid resource with an OperationOutcome that points at it', async () => {
    const report = { ...cbcReport('CBC-1003'), status: 'final', effectiveDateTime: '2026-13-40', colour: 'blue' };
    const { status, data } = await failure(
      client.transaction({ body: resultsBundle('transaction', { idNumber: residentId(), cbc: report as never }) }),
    );
    expect(status).toBe(400);
    expect(data.resourceType).toBe('OperationOutcome');
    const expressions = data.issue.flatMap((i) => i.expression ?? []);
    expect(expressions).toContain('Bundle.entry[1].resource.effective[x]');
    expect(expressions).toContain('Bundle.entry[1].resource.colour');
    expect(await stored('CBC-1003')).toBeUndefined();
  });

  it('stores nothing when one entry of a transaction is refused', async () => {
    const idNumber = residentId();
    const unknownCode = ctReport(world, 'CT-2004', { code: { coding: [{ system: 'http://loinc.org', code: '99999-9' }] } });
    const { status, data } = await failure(
      client.transaction({ body: resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-1004'), ct: unknownCode }) }),
    );
    expect(status).toBe(400);
    expect(data.issue.map((i) => i.expression?.[0])).toContain('Bundle.entry[2].resource.code');
    expect(await stored('CBC-1004')).toBeUndefined();
    expect(await stored('CT-2004')).toBeUndefined();
  });

  it('stores nothing when the results service refuses one report (a future date), though each entry is valid FHIR', async () => {
    const future = ctReport(world, 'CT-2005', { effectiveDateTime: '2027-01-05T09:00:00+08:00', issued: '2027-01-05T10:00:00+08:00' });
    const { status, data } = await failure(
      client.transaction({ body: resultsBundle('transaction', { idNumber: residentId(), cbc: cbcReport('CBC-1005'), ct: future }) }),
    );
    expect(status).toBe(400);
    expect(data.issue[0]).toMatchObject({ expression: ['Bundle.entry[2].resource.effective'] });
    expect(data.issue[0].details?.text).toMatch(/performedAt must not be in the future/);
    expect(await stored('CBC-1005')).toBeUndefined();
  });

  it('refuses an invalid resident ID on the Patient', async () => {
    const { status, data } = await failure(
      client.transaction({ body: resultsBundle('transaction', { idNumber: '110101199003070010', cbc: cbcReport('CBC-1006') }) }),
    );
    expect(status).toBe(400);
    expect(data.issue[0].expression).toEqual(['Bundle.entry[0].resource.identifier']);
  });
});

describe('POST /fhir/r4 batch', () => {
  it('stores the valid reports and answers the invalid one (and what it uses) with its OperationOutcome', async () => {
    const idNumber = residentId();
    const badStudy = { ...ctStudy(), status: 'bogus-status', numberOfSeries: -1 };
    const answer = await client.batch({
      body: resultsBundle('batch', { idNumber, cbc: cbcReport('CBC-1101'), ct: ctReport(world, 'CT-2101'), study: badStudy as never }),
    });
    expect(answer.type).toBe('batch-response');
    const [forPatient, forCbc, forCt, forStudy] = responses(answer);
    expect(forPatient.status).toBe('200 OK');
    expect(forCbc.status).toBe('201 Created');
    expect(forStudy.status).toBe('400 Bad Request');
    expect((forStudy.outcome as OperationOutcome).issue.some((i) => i.expression?.[0].startsWith('Bundle.entry[3].resource'))).toBe(true);
    expect(forCt.status).toBe('400 Bad Request');
    expect(await stored('CBC-1101')).toBeDefined();
    expect(await stored('CT-2101')).toBeUndefined();
  });

  it('answers contained that is not a list with 400, not 500', async () => {
    for (const contained of ['x', {}, 5]) {
      const bundle = resultsBundle('batch', { idNumber: residentId(), cbc: cbcReport('CBC-1104', { contained: contained as never }) });
      const [, forCbc] = responses(await client.batch({ body: bundle }));
      expect(forCbc.status).toBe('400 Bad Request');
      expect((forCbc.outcome as OperationOutcome).issue[0].expression).toEqual(['Bundle.entry[1].resource.contained']);
    }
  });

  it('counts each Observation of a report once, however many panels name it, and at most 500', async () => {
    const member = (id: string, refs: string[]) => ({
      ...cbcReport('x').contained![0],
      id,
      valueQuantity: undefined,
      hasMember: refs.map((ref) => ({ reference: `#${ref}` })),
    });
    const fanOut = (n: number, ref: string) => Array.from({ length: n }, () => ref);
    // A panel naming B 2,000 times, B naming C 2,000 times: four million paths if walked naively.
    const panels = cbcReport('CBC-1105', {
      contained: [member('a', fanOut(2_000, 'b')), member('b', fanOut(2_000, 'c')), cbcReport('x').contained![0]],
      result: [{ reference: '#a' }],
    });
    (panels.contained![2] as { id: string }).id = 'c';
    const [, forPanels] = responses(await client.batch({ body: resultsBundle('batch', { idNumber: residentId(), cbc: panels }) }));
    expect(forPanels.status).toBe('201 Created');
    expect((await stored('CBC-1105'))!.analyte_codes).toEqual(['HGB']);

    const many = Array.from({ length: 501 }, (_, i) => ({ ...cbcReport('x').contained![0], id: `o${i}` }));
    const tooMany = cbcReport('CBC-1106', { contained: many, result: many.map((o) => ({ reference: `#${o.id}` })) });
    const [, forTooMany] = responses(await client.batch({ body: resultsBundle('batch', { idNumber: residentId(), cbc: tooMany }) }));
    expect(forTooMany.status).toBe('400 Bad Request');
    expect((forTooMany.outcome as OperationOutcome).issue.map((i) => i.code)).toContain('too-costly');
  });

  it('answers an unsupported entry (a Practitioner, a DELETE) on its own', async () => {
    const bundle = resultsBundle('batch', { idNumber: residentId(), cbc: cbcReport('CBC-1102') });
    bundle.entry!.push({
      resource: { resourceType: 'Practitioner', name: [{ family: 'Careful' }] },
      request: { method: 'POST', url: 'Practitioner' },
    });
    bundle.entry!.push({ request: { method: 'DELETE', url: 'DiagnosticReport/123' } });
    const [, forCbc, forPractitioner, forDelete] = responses(await client.batch({ body: bundle }));
    expect(forCbc.status).toBe('201 Created');
    expect(forPractitioner.outcome?.issue[0].code).toBe('not-supported');
    expect(forDelete.status).toBe('400 Bad Request');
  });

  it("takes each method's request URL as FHIR defines it, and a conditional update by the report's own identifier only", async () => {
    const withRequest = (accessionNo: string, method: 'POST' | 'PUT', url: string) => {
      const bundle = resultsBundle('batch', { idNumber: residentId(), cbc: cbcReport(accessionNo) });
      bundle.entry![1].request = { method, url };
      return bundle;
    };
    const answers: [string, string][] = [
      ['PUT', 'DiagnosticReport?identifier=urn:oid:1.2.36.146.595.217.0.1|CBC-1201'],
      ['PUT', 'DiagnosticReport/cbc-1202'],
      ['PUT', 'DiagnosticReport?identifier=urn:oid:1.2.36.146.595.217.0.1|OTHER'],
      ['PUT', 'DiagnosticReport?_id=cbc-1204'],
      ['POST', 'DiagnosticReport/cbc-1205'],
    ];
    const statuses = [];
    for (const [i, [method, url]] of answers.entries()) {
      const [, forReport] = responses(await client.batch({ body: withRequest(`CBC-120${i + 1}`, method as 'POST' | 'PUT', url) }));
      statuses.push(forReport.status);
    }
    expect(statuses).toEqual(['201 Created', '201 Created', '400 Bad Request', '400 Bad Request', '400 Bad Request']);
    // The refused conditional update stored nothing under either identifier.
    expect(await stored('CBC-1203')).toBeUndefined();
  });

  it('refuses a Bundle two of whose entries share a fullUrl, naming the second (bdl-7)', async () => {
    const bundle = resultsBundle('batch', { idNumber: residentId(), cbc: cbcReport('CBC-1301') });
    bundle.entry!.push({ fullUrl: bundle.entry![0].fullUrl, resource: patient(residentId()), request: { method: 'POST', url: 'Patient' } });
    const { status, data } = await failure(client.batch({ body: bundle }));
    expect(status).toBe(400);
    expect(data.issue[0].expression).toEqual(['Bundle.entry[2].fullUrl']);
    expect(await stored('CBC-1301')).toBeUndefined();
  });

  it('accepts a Patient given by identifier, bundled Observations and application/json', async () => {
    const idNumber = residentId();
    const report = cbcReport('CBC-1103', {
      contained: undefined,
      subject: { identifier: { system: 'urn:oid:2.16.156.10011.1.3', value: idNumber } },
      result: [{ reference: 'Observation/hgb-1' }],
    });
    const observation = { ...cbcReport('x').contained![0], id: 'hgb-1' };
    const response = await fetch(base, {
      method: 'POST',
      headers: { authorization: `Bearer ${await world.writerToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: report, request: { method: 'PUT', url: 'DiagnosticReport?identifier=CBC-1103' } },
          { resource: observation, request: { method: 'PUT', url: 'Observation/hgb-1' } },
          { resource: patient(residentId()), request: { method: 'POST', url: 'Patient' } },
        ],
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const [forReport, forObservation, forPatient] = responses(await response.json());
    expect(forReport.status).toBe('201 Created');
    expect(forObservation.outcome?.issue[0].details?.text).toMatch(/^Stored as a value of DiagnosticReport\//);
    expect(forPatient.status).toBe('400 Bad Request');
    expect((await stored('CBC-1103'))!.analyte_codes).toEqual(['HGB']);
  });
});
