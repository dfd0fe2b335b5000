import type { Bundle, CapabilityStatement, DiagnosticReport, ImagingStudy, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedRequest } from './helpers/audit.ts';
import { basic } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { cbcReport, ctReport, failure, fhirClient, fhirErrors, fhirWorld, listen, resultsBundle, type FhirWorld } from './helpers/fhir.ts';
import { residentId } from './helpers/results.ts';

let ctx: TestContext;
let world: FhirWorld;
let base: string;
let reader: Client;
const idNumber = residentId('19750315');
const patientParam = `urn:oid:2.16.156.10011.1.3|${idNumber}`;

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.clock.set('2026-12-01T00:00:00Z');
  world = await fhirWorld(ctx.app, ctx.db);
  base = await listen(ctx.app);
  const writer = fhirClient(base, await world.writerToken());
  await writer.transaction({
    body: resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-3001'), ct: ctReport(world, 'CT-4001') }),
  });
  reader = fhirClient(base, await world.readerToken());
});
afterAll(async () => {
  await ctx.close();
});

const resources = <T extends Resource>(bundle: unknown) => ((bundle as Bundle).entry ?? []).map((e) => e.resource as T);

describe('GET /fhir/r4/DiagnosticReport', () => {
  it("answers the patient's results from every hospital as a searchset, and audits the search", async () => {
    const bundle = await reader.search({ resourceType: 'DiagnosticReport', searchParams: { 'patient.identifier': patientParam } });
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const [ct, cbc] = resources<DiagnosticReport>(bundle);
    expect(ct).toMatchObject({
      status: 'final',
      code: { coding: [{ code: world.ct }, { system: 'http://loinc.org', code: '24627-2' }] },
      effectiveDateTime: '2026-11-26T03:01:20.000Z',
      imagingStudy: [{ reference: `ImagingStudy/${ct.id}` }],
      performer: [{ display: 'Zhejiang University First Affiliated Hospital' }],
      conclusion: 'No focal consolidation. No pleural effusion.',
    });
    expect(cbc.identifier?.[0].value).toBe('CBC-3001');
    expect(cbc.contained).toHaveLength(6);
    expect(cbc.contained?.[0]).toMatchObject({
      resourceType: 'Observation',
      code: { coding: [{ code: 'HGB' }, { system: 'http://loinc.org', code: '718-7' }] },
      valueQuantity: { value: 176, unit: 'g/L' },
    });
    expect(cbc.result?.map((r) => r.reference)).toEqual(cbc.contained?.map((o) => `#${o.id}`));

    const events = await ctx.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'results.search')
      .where('hospital_id', '=', world.hospitalB)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      outcome: 'success',
      practitioner_id: 'DR-0042',
      purpose: 'treatment',
      client_id: world.reader.clientId,
    });
    expect([...events[0].result_ids].sort()).toEqual([ct.id, cbc.id].sort());
  });

  it('narrows by code and date', async () => {
    const byLoinc = await reader.search({
      resourceType: 'DiagnosticReport',
      searchParams: { 'patient.identifier': patientParam, code: 'http://loinc.org|58410-2' },
    });
    expect(resources<DiagnosticReport>(byLoinc).map((r) => r.identifier?.[0].value)).toEqual(['CBC-3001']);
    const byDate = await reader.search({
      resourceType: 'DiagnosticReport',
      searchParams: { 'patient.identifier': patientParam, date: 'ge2026-11-26' },
    });
    expect(resources<DiagnosticReport>(byDate).map((r) => r.identifier?.[0].value)).toEqual(['CT-4001']);
    const unknown = await reader.search({
      resourceType: 'DiagnosticReport',
      searchParams: { 'patient.identifier': patientParam, code: 'http://loinc.org|0000-0' },
    });
    expect(resources(unknown).map((r) => r.resourceType)).toEqual(['OperationOutcome']);
    const { status, data } = await failure(
      reader.search({ resourceType: 'DiagnosticReport', searchParams: { 'patient.identifier': patientParam, date: 'lt2026-11-26' } }),
    );
    expect(status).toBe(400);
    expect(data.issue[0].expression).toEqual(['date']);
  });

  it('pages with the next link, and searches by POST with the parameters out of the URL', async () => {
    const first = await reader.search({
      resourceType: 'DiagnosticReport',
      searchParams: { 'patient.identifier': patientParam, _count: 1 },
    });
    expect(resources(first)).toHaveLength(1);
    // Links are absolute, under PUBLIC_URL; the test listens elsewhere.
    const next = (first as unknown as Bundle).link!.find((l) => l.relation === 'next')!;
    expect(next.url).toMatch(/^http:\/\/exchange\.test\/fhir\/r4\/DiagnosticReport\?patient\.identifier=.+&_count=1&_cursor=/);
    next.url = next.url.replace('http://exchange.test/fhir/r4', base);
    const second = await reader.nextPage({ bundle: first as never });
    expect(resources<DiagnosticReport>(second).map((r) => r.identifier?.[0].value)).toEqual(['CBC-3001']);
    expect((second as unknown as Bundle).link?.map((l) => l.relation)).toEqual(['self']);
    const posted = await reader.search({
      resourceType: 'DiagnosticReport',
      searchParams: { 'patient.identifier': patientParam },
      options: { postSearch: true },
    });
    expect(resources(posted)).toHaveLength(2);
  });

  it('answers refusals as OperationOutcomes: no practitioner, no patient, no token, another path or method', async () => {
    const anonymousDoctor = fhirClient(base, await world.readerToken(), '');
    const noDoctor = await failure(
      anonymousDoctor.search({ resourceType: 'DiagnosticReport', searchParams: { 'patient.identifier': patientParam } }),
    );
    expect(noDoctor.status).toBe(400);
    // Refused, and audited as refused (the identifier is not kept: it is not a field the trail keeps).
    const requestId = noDoctor.data.issue[0].diagnostics!.replace('request ', '');
    expect(await auditedRequest(ctx.db, requestId)).toMatchObject({
      action: 'results.search',
      outcome: 'refused',
      outcome_detail: '400 validation',
      patient_key: null,
    });
    const noPatient = await failure(reader.search({ resourceType: 'DiagnosticReport', searchParams: { code: 'LAB-CBC' } }));
    expect(noPatient.data.issue[0].expression).toEqual(['patient.identifier']);
    const anonymous = await fetch(`${base}/DiagnosticReport?patient.identifier=${encodeURIComponent(patientParam)}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(((await anonymous.json()) as OperationOutcome).issue[0].code).toBe('login');
    const unknownPath = await fetch(`${base}/Patient`);
    expect([unknownPath.status, ((await unknownPath.json()) as OperationOutcome).resourceType]).toEqual([404, 'OperationOutcome']);
    const wrongMethod = await fetch(`${base}/metadata`, { method: 'DELETE' });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET']);
  });
});

describe('GET /fhir/r4/ImagingStudy', () => {
  it('answers the imaging studies, narrowed by started', async () => {
    const bundle = await reader.search({
      resourceType: 'ImagingStudy',
      searchParams: { 'patient.identifier': patientParam, started: 'ge2026-11-01' },
    });
    const [study] = resources<ImagingStudy>(bundle);
    expect(resources(bundle)).toHaveLength(1);
    expect(study).toMatchObject({
      status: 'available',
      identifier: [
        { system: 'urn:dicom:uid', value: 'urn:oid:2.16.124.113543.6003.1154777499.30246.19789.3503430045' },
        { value: 'CT-4001' },
      ],
      modality: [{ code: 'CT' }],
      started: '2026-11-26T03:01:20.000Z',
    });
    const later = await reader.search({
      resourceType: 'ImagingStudy',
      searchParams: { 'patient.identifier': patientParam, started: 'gt2026-11-26' },
    });
    expect(resources(later)).toHaveLength(0);
  });
});

describe('SMART Backend Services', () => {
  it('grants SMART scopes the client holds, and the token carries them as asked', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/oauth/token',
      headers: {
        authorization: basic(world.reader.clientId, world.reader.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'system/DiagnosticReport.rs system/ImagingStudy.read',
      }).toString(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().scope).toBe('system/DiagnosticReport.rs system/ImagingStudy.read');
    const smart = fhirClient(base, response.json().access_token);
    expect(
      resources(await smart.search({ resourceType: 'ImagingStudy', searchParams: { 'patient.identifier': patientParam } })),
    ).toHaveLength(1);
    const refused = await failure(smart.transaction({ body: resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-3002') }) }));
    expect(refused.status).toBe(403);
    expect(refused.data).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
  });

  it('holds a SMART token to its resource types', async () => {
    const studiesOnly = fhirClient(base, await world.readerToken('system/ImagingStudy.rs'));
    const refused = await failure(
      studiesOnly.search({ resourceType: 'DiagnosticReport', searchParams: { 'patient.identifier': patientParam } }),
    );
    expect([refused.status, refused.data.issue[0].code]).toEqual([403, 'forbidden']);
    const reportsOnly = fhirClient(base, await world.writerToken('system/DiagnosticReport.c system/Observation.c'));
    const noStudies = await failure(
      reportsOnly.transaction({ body: resultsBundle('transaction', { idNumber, ct: ctReport(world, 'CT-4002') }) }),
    );
    expect(noStudies.status).toBe(403);
    expect(noStudies.data.issue.find((i) => i.code === 'forbidden')?.expression).toEqual(['Bundle.entry[2].resource']);
    const everything = fhirClient(base, await world.writerToken('system/*.cu'));
    expect((await everything.transaction({ body: resultsBundle('transaction', { idNumber, ct: ctReport(world, 'CT-4002') }) })).type).toBe(
      'transaction-response',
    );
  });

  it('gives SMART scopes no effect on the REST API', async () => {
    const studiesOnly = await world.readerToken('system/ImagingStudy.rs system/*.cruds');
    const search = await ctx.app.inject({
      method: 'POST',
      url: '/v1/results/search',
      headers: { authorization: `Bearer ${studiesOnly}` },
      payload: { practitionerId: 'DR-0042', purpose: 'treatment', patient: { idType: 'resident_id', idNumber } },
    });
    expect(search.statusCode).toBe(403);
    expect(search.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('counts a POST under a stored accession number as an update', async () => {
    const accession = 'CBC-4101';
    const writer = fhirClient(base, await world.writerToken('system/*.cruds'));
    await writer.transaction({ body: resultsBundle('transaction', { idNumber, cbc: cbcReport(accession) }) });
    const createOnly = fhirClient(base, await world.writerToken('system/DiagnosticReport.c system/Observation.c'));
    const amended = cbcReport(accession, { conclusion: 'Haematocrit normal on review.', status: 'corrected' });
    const refused = await failure(createOnly.transaction({ body: resultsBundle('transaction', { idNumber, cbc: amended }) }));
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.data.issue.find((i) => i.code === 'forbidden'))).toMatch(/DiagnosticReport\.u/);
    const stored = await ctx.db
      .selectFrom('results')
      .select(['version', 'findings'])
      .where('issuing_hospital_id', '=', world.hospitalA)
      .where('accession_no', '=', accession)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ version: 1, findings: 'Haematocrit slightly raised.' });
    const created = await createOnly.transaction({ body: resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-4102') }) });
    expect(created.type).toBe('transaction-response');
  });

  it('refuses SMART scopes it does not grant', async () => {
    await expect(world.readerToken('system/Patient.rs')).rejects.toThrow(/invalid_scope/);
    await expect(world.readerToken('system/DiagnosticReport.rs?category=LAB')).rejects.toThrow(/invalid_scope/);
    const readOnly = await ctx.app.inject({
      method: 'POST',
      url: '/v1/oauth/token',
      headers: {
        authorization: basic(world.reader.clientId, world.reader.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials&scope=system%2FDiagnosticReport.c',
    });
    expect(readOnly.statusCode).toBe(200); // the reader's client holds results:write too (the factory's default scopes)
  });

  it('is discoverable at the FHIR base', async () => {
    const metadata = await reader.smartAuthMetadata();
    expect(String(metadata.tokenUrl)).toBe('http://exchange.test/v1/oauth/token');
    const configuration = await (await fetch(`${base}/.well-known/smart-configuration`)).json();
    expect(configuration).toMatchObject({
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: expect.arrayContaining(['private_key_jwt', 'client_secret_basic']),
      capabilities: expect.arrayContaining(['client-confidential-asymmetric']),
      scopes_supported: expect.arrayContaining(['system/DiagnosticReport.rs', 'system/DiagnosticReport.c', 'results:read']),
    });
  });
});

describe('GET /fhir/r4/metadata', () => {
  it('states exactly what is supported, as valid FHIR R4 (as are the searchsets)', async () => {
    const statement = (await fhirClient(base).capabilityStatement()) as unknown as CapabilityStatement;
    expect(statement).toMatchObject({ fhirVersion: '4.0.1', kind: 'instance', format: ['json', 'application/fhir+json'] });
    const [rest] = statement.rest!;
    expect(rest.interaction?.map((i) => i.code)).toEqual(['transaction', 'batch']);
    expect(rest.resource?.map((r) => [r.type, r.interaction?.map((i) => i.code) ?? [], r.searchParam?.map((p) => p.name) ?? []])).toEqual([
      ['DiagnosticReport', ['search-type', 'read'], ['patient', 'code', 'date']],
      ['ImagingStudy', ['search-type', 'read'], ['patient', 'started']],
      ['Observation', [], []],
      ['Patient', [], []],
    ]);
    expect(rest.security?.service?.[0].coding?.[0].code).toBe('SMART-on-FHIR');

    expect(fhirErrors(statement)).toEqual([]);
    const reports = await reader.search({ resourceType: 'DiagnosticReport', searchParams: { 'patient.identifier': patientParam } });
    const studies = await reader.search({ resourceType: 'ImagingStudy', searchParams: { 'patient.identifier': patientParam } });
    expect(fhirErrors(reports as unknown as Bundle)).toEqual([]);
    expect(fhirErrors(studies as unknown as Bundle)).toEqual([]);
  });
});
