import { describe, expect, it } from 'vitest';
import { cardUuid, declineReasonSystem } from '../src/modules/cds-hooks/index.ts';
import { itemCodeSystem, localCodeSystem, loincSystem } from '../src/modules/registry/index.ts';
import { declineCodes } from '../src/modules/rules/index.ts';
import { auditedRequest } from './helpers/audit.ts';
import { nullOrEmpty, orderSelect, orderSign, specDiscovery } from './helpers/cds-hooks.ts';
import {
  ago,
  call,
  cardsOf,
  checksOf,
  client,
  ct,
  ctx,
  glucose,
  hookRequest,
  issuer,
  key,
  receiver,
  seq,
  serviceRequest,
  ultrasound,
  useCdsHooksWorld,
} from './helpers/cds-hooks-world.ts';
import { makeItem, makeResult } from './helpers/factories.ts';

/** The CDS Hooks services: discovery, and the cards a call answers (test/helpers/cds-hooks-world.ts). */
useCdsHooksWorld();

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

  it('knows a catalogue item added since its last call, also one written to the database by another hand', async () => {
    await cardsOf(await call(orderSign, hookRequest('order-sign', [serviceRequest('ct-1', { system: itemCodeSystem, code: ct })])));
    const mri = await makeItem(ctx.db, { name: 'MRI brain', category: 'mri', prices: { T2: 600 }, radiationMsv: null });
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: mri, kind: 'images', performedAt: ago(4) });
    const cards = await cardsOf(
      await call(orderSign, hookRequest('order-sign', [serviceRequest('mri-1', { system: itemCodeSystem, code: mri })])),
    );
    expect(cards.map((c) => c.suggestions?.[0].actions?.[0].resourceId)).toEqual(['ServiceRequest/mri-1']);
  });
});
