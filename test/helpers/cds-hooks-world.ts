import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { generateResidentId, patientKey, residentIdSystem } from '../../src/modules/patients/index.ts';
import { cdsJwt, nullOrEmpty, registerCdsClient, specRequest, specResponse, type CdsClient } from './cds-hooks.ts';
import { createTestContext, patientKeySecret, type TestContext } from './context.ts';
import { certify, makeHospital, makeItem, makeScope } from './factories.ts';

/**
 * The CDS Hooks services as an EHR calls them: a receiving hospital registered as a CDS client, an
 * issuer certified nationally, a CT, a chest X-ray, a glucose test (with its LOINC code) and an
 * ultrasound (with the receiver's local code), and the specification's example requests. Shared by
 * test/cds-hooks.test.ts, cds-hooks-patients and cds-hooks-feedback.
 *
 * The bindings are live: a test file calls `useCdsHooksWorld` once and reads what its hooks set; each
 * test has a new patient (`idNumber`, its `key`; `seq` is the number the next patient will take).
 */
export let ctx: TestContext;
export const now = new Date('2026-11-30T02:00:00Z');
export const ago = (days: number) => new Date(now.getTime() - days * 86_400_000);

export let receiver: string;
export let issuer: string;
export let client: CdsClient;
export let ct: string;
export let glucose: string;
export let ultrasound: string;
export let xray: string;

export let idNumber: string;
export let key: string;
export let seq = 100;

// The specification's examples: the R4 order-select context (its NutritionOrder and MedicationRequest
// kept, trimmed), the calling example's fhirServer, fhirAuthorization and prefetched Patient; the
// ServiceRequests are coded with this test's catalogue.
const nutritionOrder = {
  resourceType: 'NutritionOrder',
  id: 'pureeddiet-simple',
  identifier: [{ system: 'http://goodhealthhospital.org/nutrition-requests', value: '123' }],
  status: 'draft',
  patient: { reference: 'Patient/1288992' },
  dateTime: '2014-09-17',
  orderer: { reference: 'Practitioner/example', display: 'Dr Adam Careful' },
  oralDiet: { type: [{ coding: [{ system: 'http://snomed.info/sct', code: '226211001', display: 'Pureed diet' }], text: 'Pureed diet' }] },
};
const medicationRequest = {
  resourceType: 'MedicationRequest',
  id: 'smart-MedicationRequest-103',
  status: 'draft',
  intent: 'order',
  medicationCodeableConcept: {
    coding: [
      {
        system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
        code: '617993',
        display: 'Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML Oral Suspension',
      },
    ],
  },
  subject: { reference: 'Patient/1288992' },
  dosageInstruction: [{ text: '5 mL bid x 10 days', timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }],
};
export const serviceRequest = (id: string, coding: { system: string; code: string }) => ({
  resourceType: 'ServiceRequest',
  id,
  status: 'draft',
  intent: 'order',
  code: { coding: [{ ...coding, display: coding.code }] },
  subject: { reference: 'Patient/1288992' },
  requester: { reference: 'PractitionerRole/123' },
});

export function hookRequest(
  hook: 'order-select' | 'order-sign',
  orders: object[],
  extra: { selections?: string[]; patient?: object | null } = {},
) {
  const patient =
    extra.patient === undefined
      ? {
          resourceType: 'Patient',
          gender: 'male',
          birthDate: '1925-12-23',
          id: '1288992',
          active: true,
          identifier: [{ system: residentIdSystem, value: idNumber }],
        }
      : extra.patient;
  const request = {
    hookInstance: randomUUID(),
    fhirServer: 'http://hooks.smarthealthit.org:9080',
    hook,
    fhirAuthorization: {
      access_token: 'some-opaque-fhir-access-token',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/Patient.read user/Observation.read',
      subject: 'cds-service4',
    },
    context: {
      userId: 'PractitionerRole/123',
      patientId: '1288992',
      encounterId: '89284',
      ...(hook === 'order-select'
        ? { selections: extra.selections ?? ['NutritionOrder/pureeddiet-simple', 'MedicationRequest/smart-MedicationRequest-103'] }
        : {}),
      draftOrders: { resourceType: 'Bundle', entry: [nutritionOrder, medicationRequest, ...orders].map((resource) => ({ resource })) },
    },
    ...(patient === null ? {} : { prefetch: { patient } }),
  };
  specRequest.parse(request);
  return request;
}

export async function call(serviceId: string, body: object, headers: Record<string, string> = {}) {
  const token = await cdsJwt(client, { aud: `${ctx.config.publicUrl}/cds-services/${serviceId}`, now });
  return ctx.app.inject({
    method: 'POST',
    url: `/cds-services/${serviceId}`,
    headers: { authorization: `Bearer ${token}`, ...headers },
    payload: body,
  });
}

/** A 200 answer, checked against the specification. */
export async function cardsOf(response: Awaited<ReturnType<typeof call>>) {
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json();
  expect(nullOrEmpty(body)).toEqual([]);
  return specResponse.parse(body).cards;
}

export const checksOf = () =>
  ctx.db.selectFrom('recognition_checks').selectAll().where('patient_key', '=', key).orderBy('created_at').execute();

/** Registers the hooks that build the world before the test file (with a new patient before each test) and close it after. */
export function useCdsHooksWorld() {
  beforeAll(async () => {
    ctx = await createTestContext();
    ctx.clock.set(now);
    receiver = await makeHospital(ctx.db, { city: 'Ningbo', priceTier: 'T2' });
    issuer = await makeHospital(ctx.db, { name: 'Hangzhou First' });
    await certify(ctx.db, { hospitalId: issuer, scopeId: await makeScope(ctx.db, { level: 'national' }) });
    ct = await makeItem(ctx.db, { name: 'CT chest', category: 'ct', prices: { T1: 320, T2: 280 }, minutesSaved: 60, radiationMsv: 7 });
    await ctx.db.updateTable('items').set({ name_zh: '胸部CT平扫' }).where('code', '=', ct).execute();
    glucose = await makeItem(ctx.db, {
      name: 'Glucose',
      category: 'lab',
      analytes: ['GLU'],
      prices: { T2: 8 },
      minutesSaved: 30,
      radiationMsv: null,
    });
    await ctx.db
      .updateTable('items')
      .set({ loinc: ['2345-7'] })
      .where('code', '=', glucose)
      .execute();
    xray = await makeItem(ctx.db, { name: 'Chest X-ray', category: 'xray', prices: { T2: 60 }, minutesSaved: 30, radiationMsv: 0.1 });
    ultrasound = await makeItem(ctx.db, { name: 'Abdominal ultrasound', category: 'ultrasound', prices: { T2: 120 }, radiationMsv: null });
    await ctx.db.insertInto('code_maps').values({ hospital_id: receiver, local_code: 'US-ABD-7', item_code: ultrasound }).execute();
    client = await registerCdsClient(ctx.app, receiver);
  });
  beforeEach(() => {
    idNumber = generateResidentId('19251223', '330106', String(seq++));
    key = patientKey(patientKeySecret, 'resident_id', idNumber);
  });
  afterAll(() => ctx.close());
}
