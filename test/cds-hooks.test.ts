import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardUuid, declineReasonSystem } from '../src/modules/cds-hooks/index.ts';
import { generateResidentId, passportSystem, patientKey, residentIdSystem } from '../src/modules/patients/index.ts';
import { itemCodeSystem, localCodeSystem, loincSystem } from '../src/modules/registry/index.ts';
import { declineCodes } from '../src/modules/rules/index.ts';
import { auditedRequest } from './helpers/audit.ts';
import {
  cdsJwt,
  nullOrEmpty,
  orderSelect,
  orderSign,
  registerCdsClient,
  specDiscovery,
  specRequest,
  specResponse,
  type CdsClient,
} from './helpers/cds-hooks.ts';
import { createTestContext, patientKeySecret, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeItem, makeResult, makeScope } from './helpers/factories.ts';

let ctx: TestContext;
const now = new Date('2026-11-30T02:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * 86_400_000);

let receiver: string;
let issuer: string;
let client: CdsClient;
let ct: string;
let glucose: string;
let ultrasound: string;

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
  ultrasound = await makeItem(ctx.db, { name: 'Abdominal ultrasound', category: 'ultrasound', prices: { T2: 120 }, radiationMsv: null });
  await ctx.db.insertInto('code_maps').values({ hospital_id: receiver, local_code: 'US-ABD-7', item_code: ultrasound }).execute();
  client = await registerCdsClient(ctx.app, receiver);
});
afterAll(() => ctx.close());

let idNumber: string;
let key: string;
let seq = 100;
beforeEach(() => {
  idNumber = generateResidentId('19251223', '330106', String(seq++));
  key = patientKey(patientKeySecret, 'resident_id', idNumber);
});

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
const serviceRequest = (id: string, coding: { system: string; code: string }) => ({
  resourceType: 'ServiceRequest',
  id,
  status: 'draft',
  intent: 'order',
  code: { coding: [{ ...coding, display: coding.code }] },
  subject: { reference: 'Patient/1288992' },
  requester: { reference: 'PractitionerRole/123' },
});

function hookRequest(
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

async function call(serviceId: string, body: object, headers: Record<string, string> = {}) {
  const token = await cdsJwt(client, { aud: `${ctx.config.publicUrl}/cds-services/${serviceId}`, now });
  return ctx.app.inject({
    method: 'POST',
    url: `/cds-services/${serviceId}`,
    headers: { authorization: `Bearer ${token}`, ...headers },
    payload: body,
  });
}

/** A 200 answer, checked against the specification. */
async function cardsOf(response: Awaited<ReturnType<typeof call>>) {
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json();
  expect(nullOrEmpty(body)).toEqual([]);
  return specResponse.parse(body).cards;
}

const checksOf = () => ctx.db.selectFrom('recognition_checks').selectAll().where('patient_key', '=', key).orderBy('created_at').execute();

describe('discovery', () => {
  it('lists an order-select and an order-sign service, as the specification describes them, without authentication', async () => {
    const response = await ctx.app.inject('/cds-services');
    expect(response.statusCode).toBe(200);
    const { services } = specDiscovery.parse(response.json());
    expect(nullOrEmpty(response.json())).toEqual([]);
    expect(services.map((s) => [s.id, s.hook])).toEqual([
      [orderSelect, 'order-select'],
      [orderSign, 'order-sign'],
    ]);
    for (const service of services) {
      expect(service.prefetch).toEqual({ patient: 'Patient/{{context.patientId}}' });
      expect(service.title).toBeTruthy();
    }
  });
});

describe('a service call', () => {
  it('order-select: one card for a recognisable CT, a warning, with a suggestion to delete the order and the decline codes', async () => {
    const resultId = await makeResult(ctx.db, {
      hospitalId: issuer,
      patientKey: key,
      itemCode: ct,
      kind: 'images',
      performedAt: ago(4),
      accessionNo: `CT-${seq}`,
    });
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: glucose, performedAt: ago(2) });
    const body = hookRequest(
      'order-select',
      [serviceRequest('ct-1', { system: itemCodeSystem, code: ct }), serviceRequest('glu-1', { system: loincSystem, code: '2345-7' })],
      {
        selections: ['NutritionOrder/pureeddiet-simple', 'ServiceRequest/ct-1'],
      },
    );
    const response = await call(orderSelect, body);
    const cards = await cardsOf(response);
    // Only the selected ServiceRequest was asked about: one check, one item.
    const [check] = await checksOf();
    expect(check).toMatchObject({
      receiving_hospital_id: receiver,
      practitioner_id: '123',
      purpose: 'treatment',
      client_id: client.clientId,
    });
    expect(cards).toHaveLength(1);
    const [card] = cards;
    expect(card.uuid).toBe(cardUuid(check.id, ct, resultId));
    expect(card.indicator).toBe('warning');
    expect(card.summary).toBe('Recognisable CT chest from Hangzhou First, 2026-11-26: no need to repeat it');
    expect(card.source.label).toBe('Mutual Recognition Exchange');
    expect(card.detail).toContain('¥280.00, 60 minutes and 7 mSv of radiation');
    expect(card.detail).toContain(`CT\\-${seq}`);
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.suggestions).toEqual([
      {
        label: 'Reuse this result and remove the order',
        uuid: expect.any(String),
        isRecommended: true,
        actions: [{ type: 'delete', description: expect.stringContaining('ServiceRequest/ct-1'), resourceId: 'ServiceRequest/ct-1' }],
      },
    ]);
    expect(card.overrideReasons!.map((r) => [r.system, r.code])).toEqual(declineCodes.map((code) => [declineReasonSystem, code]));
    expect(card.links).toEqual([
      { label: expect.any(String), url: `${ctx.config.publicUrl}/v1/results/CT-${seq}/history?issuer=${issuer}`, type: 'absolute' },
    ]);
    expect(response.headers['cache-control']).toBe('no-store');
    const audit = await auditedRequest(ctx.db, String(response.headers['x-request-id']));
    expect(audit).toMatchObject({
      action: 'recognition.check',
      outcome: 'success',
      patient_key: key,
      practitioner_id: '123',
      client_id: client.clientId,
    });
  });

  it('order-sign: every draft ServiceRequest, by catalogue, LOINC or local code; info for lab and ultrasound; only recognisable results', async () => {
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: glucose, performedAt: ago(2) });
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ultrasound, kind: 'images', performedAt: ago(3) });
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(45) }); // expired
    const body = hookRequest('order-sign', [
      serviceRequest('glu-1', { system: loincSystem, code: '2345-7' }),
      serviceRequest('us-1', { system: localCodeSystem(receiver), code: 'US-ABD-7' }),
      serviceRequest('ct-1', { system: itemCodeSystem, code: ct }),
      serviceRequest('unknown-1', { system: 'http://snomed.info/sct', code: '168537006' }),
    ]);
    const cards = await cardsOf(await call(orderSign, body));
    expect(cards.map((c) => [c.indicator, c.suggestions?.[0].actions?.[0].resourceId])).toEqual([
      ['info', 'ServiceRequest/glu-1'],
      ['info', 'ServiceRequest/us-1'],
    ]);
    expect(cards[0].detail).toContain('¥8.00, 30 minutes.');
    const [check] = await checksOf();
    const items = await ctx.db.selectFrom('check_items').select('item_code').where('check_id', '=', check.id).execute();
    expect(items.map((i) => i.item_code).sort()).toEqual([glucose, ultrasound, ct].sort());
  });

  it('writes cards in Chinese by Accept-Language or the locale extension', async () => {
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(4) });
    const body = hookRequest('order-sign', [serviceRequest('ct-1', { system: itemCodeSystem, code: ct })]);
    const [byHeader] = await cardsOf(await call(orderSign, body, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' }));
    expect(byHeader.summary).toBe('可予互认：Hangzhou First于2026-11-26完成的胸部CT平扫，无需重复检查');
    expect(byHeader.source.label).toBe('检查检验结果互认平台');
    expect(byHeader.detail).toContain('不重复检查可节省费用280.00元、时间60分钟，避免辐射7 mSv');
    expect(byHeader.overrideReasons![0].display).toBe('患者病情发生变化。');
    const [byExtension] = await cardsOf(
      await call(orderSign, { ...body, extension: { 'dev.mutual-recognition.locale': 'zh' } }, { 'accept-language': 'en' }),
    );
    expect(byExtension.suggestions![0].label).toBe('采用该结果，撤销本次申请');
    const [english] = await cardsOf(await call(orderSign, body, { 'accept-language': 'en-GB' }));
    expect(english.overrideReasons![0].display).toBe("The patient's condition has changed.");
  });

  it('finds the patient by a passport, or by the orders’ subject identifier when nothing was prefetched', async () => {
    const passport = `E${seq}4567`;
    const passportKey = patientKey(patientKeySecret, 'passport', passport);
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: passportKey, itemCode: ct, kind: 'images', performedAt: ago(1) });
    const order = serviceRequest('ct-1', { system: itemCodeSystem, code: ct });
    const patient = { resourceType: 'Patient', id: '1288992', identifier: [{ system: passportSystem, value: passport }] };
    expect(await cardsOf(await call(orderSign, hookRequest('order-sign', [order], { patient })))).toHaveLength(1);
    const withSubject = { ...order, subject: { reference: 'Patient/1288992', identifier: { system: passportSystem, value: passport } } };
    expect(await cardsOf(await call(orderSign, hookRequest('order-sign', [withSubject], { patient: null })))).toHaveLength(1);
  });

  it('answers no cards, and runs no check, when no draft order names a catalogue item', async () => {
    const cards = await cardsOf(
      await call(orderSign, hookRequest('order-sign', [serviceRequest('x-1', { system: 'http://snomed.info/sct', code: '1' })])),
    );
    expect(cards).toEqual([]);
    expect(await checksOf()).toEqual([]);
  });

  it('is 412 without a patient identity, and 400 for a wrong hook, another patient or an invalid resident ID', async () => {
    const order = serviceRequest('ct-1', { system: itemCodeSystem, code: ct });
    const missing = await call(orderSign, hookRequest('order-sign', [order], { patient: null }));
    expect(missing.statusCode).toBe(412);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ status: 412, type: expect.stringMatching(/precondition-failed$/) });

    const wrongHook = await call(orderSelect, hookRequest('order-sign', [order]));
    expect(wrongHook.statusCode).toBe(400);
    expect(wrongHook.json().errors).toEqual([{ field: 'hook', message: `must be order-select for ${orderSelect}` }]);

    const otherPatient = await call(orderSign, hookRequest('order-sign', [{ ...order, subject: { reference: 'Patient/somebody-else' } }]));
    expect(otherPatient.json().errors).toEqual([
      { field: 'context.draftOrders.entry.2.resource.subject.reference', message: "must be the context's patient, Patient/1288992" },
    ]);

    const invalid = await call(
      orderSign,
      hookRequest('order-sign', [order], {
        patient: { resourceType: 'Patient', identifier: [{ system: residentIdSystem, value: '330106192512230011' }] },
      }),
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors).toEqual([
      { field: 'prefetch.patient.identifier', message: expect.stringMatching(/^not a valid resident ID number/) },
    ]);
    expect(await checksOf()).toEqual([]);
  });

  it('is 404 for an unknown service', async () => {
    const response = await call('no-such-service', hookRequest('order-sign', []));
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
