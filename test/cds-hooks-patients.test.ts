import { describe, expect, it } from 'vitest';
import { passportSystem, patientKey, residentIdSystem } from '../src/modules/patients/index.ts';
import { itemCodeSystem } from '../src/modules/registry/index.ts';
import { orderSelect, orderSign } from './helpers/cds-hooks.ts';
import {
  ago,
  call,
  cardsOf,
  checksOf,
  ct,
  ctx,
  hookRequest,
  issuer,
  seq,
  serviceRequest,
  useCdsHooksWorld,
} from './helpers/cds-hooks-world.ts';
import { patientKeySecret } from './helpers/context.ts';
import { makeResult } from './helpers/factories.ts';

/** The CDS Hooks services: the patient a call names, and the calls they refuse (test/helpers/cds-hooks-world.ts). */
useCdsHooksWorld();

describe('a service call', () => {
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

  it('is 412 without a patient identity, and 400 for a wrong hook, a hookInstance that is no UUID, another patient or an invalid resident ID', async () => {
    const order = serviceRequest('ct-1', { system: itemCodeSystem, code: ct });
    const missing = await call(orderSign, hookRequest('order-sign', [order], { patient: null }));
    expect(missing.statusCode).toBe(412);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ status: 412, type: expect.stringMatching(/precondition-failed$/) });

    const wrongHook = await call(orderSelect, hookRequest('order-sign', [order]));
    expect(wrongHook.statusCode).toBe(400);
    expect(wrongHook.json().errors).toEqual([{ field: 'hook', message: `must be order-select for ${orderSelect}` }]);
    const notUuid = await call(orderSign, { ...hookRequest('order-sign', [order]), hookInstance: 'call-1' });
    expect(notUuid.statusCode).toBe(400);
    expect(notUuid.json().errors.map((e: { field: string }) => e.field)).toEqual(['hookInstance']);

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
