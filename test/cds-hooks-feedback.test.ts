import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { declineReasonSystem, suggestionUuid } from '../src/modules/cds-hooks/index.ts';
import { residentIdSystem } from '../src/modules/patients/index.ts';
import { itemCodeSystem } from '../src/modules/registry/index.ts';
import { catchUp } from '../src/modules/reports/index.ts';
import { auditedRequest } from './helpers/audit.ts';
import { adminToken, bearer } from './helpers/auth.ts';
import { cdsJwt, orderSelect, orderSign, registerCdsClient, specFeedback, specResponse, type CdsClient } from './helpers/cds-hooks.ts';
import { ago, client, ct, ctx, idNumber, issuer, key, now, receiver, xray, useCdsHooksWorld } from './helpers/cds-hooks-world.ts';
import { makeHospital, makeResult } from './helpers/factories.ts';

/** CDS Hooks feedback: a card's outcome as a recognition or a reasoned decline (test/helpers/cds-hooks-world.ts). */
useCdsHooksWorld();

const url = (serviceId: string, path = '') => `${ctx.config.publicUrl}/cds-services/${serviceId}${path}`;

async function post(serviceId: string, path: string, payload: object, as: CdsClient = client) {
  const authorization = `Bearer ${await cdsJwt(as, { aud: url(serviceId, path), now })}`;
  return ctx.app.inject({ method: 'POST', url: `/cds-services/${serviceId}${path}`, headers: { authorization }, payload });
}

/** The cards of an order-sign call for the given items (each one draft ServiceRequest). */
async function cardsFor(items: string[], serviceId = orderSign, as: CdsClient = client) {
  const response = await post(
    serviceId,
    '',
    {
      hook: serviceId === orderSign ? 'order-sign' : 'order-select',
      hookInstance: randomUUID(),
      context: {
        userId: 'Practitioner/dr-9',
        patientId: 'p-1',
        ...(serviceId === orderSelect ? { selections: items.map((_, i) => `ServiceRequest/sr-${i}`) } : {}),
        draftOrders: {
          resourceType: 'Bundle',
          entry: items.map((code, i) => ({
            resource: {
              resourceType: 'ServiceRequest',
              id: `sr-${i}`,
              status: 'draft',
              intent: 'order',
              code: { coding: [{ system: itemCodeSystem, code }] },
            },
          })),
        },
      },
      prefetch: { patient: { resourceType: 'Patient', id: 'p-1', identifier: [{ system: residentIdSystem, value: idNumber }] } },
    },
    as,
  );
  expect(response.statusCode, response.body).toBe(200);
  return specResponse.parse(response.json()).cards;
}

const accepted = (card: string) => ({
  card,
  outcome: 'accepted',
  acceptedSuggestions: [{ id: suggestionUuid(card) }],
  outcomeTimestamp: now.toISOString(),
});
const overridden = (card: string, code: string, userComment?: string, system = declineReasonSystem) => ({
  card,
  outcome: 'overridden',
  overrideReason: { reason: { system, code }, ...(userComment ? { userComment } : {}) },
  outcomeTimestamp: '2026-11-30T02:00:05Z',
});

async function feedback(entries: object[], serviceId = orderSign, as: CdsClient = client) {
  const payload = { feedback: entries };
  specFeedback.parse(payload);
  return post(serviceId, '/feedback', payload, as);
}

const decisionsOf = (resultId: string) =>
  ctx.db.selectFrom('recognition_decisions').selectAll().where('result_id', '=', resultId).execute();

describe('feedback', () => {
  it('an accepted suggestion is a recognition, with its savings in the log and the reports; a repeat changes nothing', async () => {
    const resultId = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(4) });
    const [card] = await cardsFor([ct]);
    const response = await feedback([accepted(card.uuid!)]);
    expect(response.statusCode, response.body).toBe(200);
    const [outcome] = response.json().feedback;
    expect(outcome).toMatchObject({ card: card.uuid, resultId, itemCode: ct, action: 'recognized', reasonCode: null, flagged: false });
    expect(outcome.savings).toEqual({ yuan: 280, minutes: 60, radiationMsv: 7 });
    const [row] = await decisionsOf(resultId);
    expect(row).toMatchObject({
      action: 'recognized',
      yuan: 280,
      minutes: 60,
      radiation_msv: 7,
      practitioner_id: 'dr-9',
      client_id: client.clientId,
    });
    const audit = await auditedRequest(ctx.db, String(response.headers['x-request-id']));
    expect(audit).toMatchObject({ action: 'recognition.decision', outcome: 'success', patient_key: key, result_ids: [resultId] });

    const again = await feedback([accepted(card.uuid!)]);
    expect(again.statusCode).toBe(200);
    expect(again.json().feedback[0].decisionId).toBe(outcome.decisionId);
    expect(await decisionsOf(resultId)).toHaveLength(1);

    await catchUp(ctx.db);
    const report = await ctx.app.inject({
      url: `/v1/reports/savings?from=2026-11-30&to=2026-11-30&hospitalId=${receiver}`,
      headers: bearer(await adminToken(ctx.app)),
    });
    expect(report.json().totals).toMatchObject({ recognitions: 1, yuan: 280, minutes: 60, radiationMsv: 7 });
  });

  it('an override with D6 and a comment is a decline with that text (flagged: it was recognisable); a repeat is idempotent', async () => {
    const resultId = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(4) });
    const [card] = await cardsFor([ct]);
    const entry = overridden(card.uuid!, 'D6_OTHER', 'The patient lost\nthe films');
    const response = await feedback([entry]);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().feedback[0]).toMatchObject({
      action: 'declined',
      reasonCode: 'D6_OTHER',
      reasonText: 'The patient lost the films',
      flagged: true,
      savings: { yuan: 0, minutes: 0, radiationMsv: 0 },
    });
    expect(await decisionsOf(resultId)).toEqual([
      expect.objectContaining({ action: 'declined', reason_code: 'D6_OTHER', reason_text: 'The patient lost the films' }),
    ]);
    expect((await feedback([entry])).statusCode).toBe(200);
    expect(await decisionsOf(resultId)).toHaveLength(1);

    // A different decision on the decided card contradicts the log.
    const contradiction = await feedback([accepted(card.uuid!)]);
    expect(contradiction.statusCode).toBe(409);
    expect(contradiction.json()).toMatchObject({ type: expect.stringMatching(/decision-conflict$/), cards: [card.uuid] });
    // Refused, and audited under the check's patient, the check and the result, as on the REST API.
    const [checked] = await ctx.db.selectFrom('recognition_decisions').select('check_id').where('result_id', '=', resultId).execute();
    expect(await auditedRequest(ctx.db, String(contradiction.headers['x-request-id']))).toMatchObject({
      action: 'recognition.decision',
      outcome: 'refused',
      patient_key: key,
      check_id: checked.check_id,
      result_ids: [resultId],
    });

    // Cards of two checks: the first check's are decided before the second's is refused, and the refusal says so.
    const [later] = await cardsFor([ct]);
    const mixed = await feedback([accepted(later.uuid!), accepted(card.uuid!)]);
    expect(mixed.statusCode).toBe(409);
    expect(mixed.json()).toMatchObject({ cards: [card.uuid], recordedCards: [later.uuid] });
    expect(await decisionsOf(resultId)).toHaveLength(2);
  });

  it('decides the cards of one check together, and each decline code comes through', async () => {
    const ctResult = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(4) });
    const xrayResult = await makeResult(ctx.db, {
      hospitalId: issuer,
      patientKey: key,
      itemCode: xray,
      kind: 'images',
      performedAt: ago(2),
    });
    const cards = await cardsFor([ct, xray]);
    expect(cards.map((c) => c.indicator)).toEqual(['warning', 'warning']);
    const response = await feedback([accepted(cards[0].uuid!), overridden(cards[1].uuid!, 'D4_EMERGENCY')]);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().feedback.map((f: { action: string; reasonCode: string | null }) => [f.action, f.reasonCode])).toEqual([
      ['recognized', null],
      ['declined', 'D4_EMERGENCY'],
    ]);
    expect((await decisionsOf(ctResult))[0].check_id).toBe((await decisionsOf(xrayResult))[0].check_id);
  });

  it('refuses, as 400 and recording nothing, an override with a code not offered, D6 without a comment, and an acceptance without the suggestion', async () => {
    const resultId = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(4) });
    const [card] = await cardsFor([ct]);
    const cases: [object, string][] = [
      [overridden(card.uuid!, 'D11_BORED'), 'feedback.0.overrideReason.reason'],
      [
        overridden(card.uuid!, 'D1_CONDITION_CHANGED', undefined, 'http://example.org/cds-services/fhir/CodeSystem/override-reasons'),
        'feedback.0.overrideReason.reason',
      ],
      [overridden(card.uuid!, 'D6_OTHER'), 'feedback.0.overrideReason.userComment'],
      [overridden(card.uuid!, 'D6_OTHER', 'x'.repeat(201)), 'feedback.0.overrideReason.userComment'],
      [{ ...accepted(card.uuid!), acceptedSuggestions: [{ id: randomUUID() }] }, 'feedback.0.acceptedSuggestions'],
    ];
    for (const [entry, field] of cases) {
      const response = await post(orderSign, '/feedback', { feedback: [entry] });
      expect(response.statusCode, JSON.stringify(entry)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const contradictory = await feedback([accepted(card.uuid!), overridden(card.uuid!, 'D1_CONDITION_CHANGED')]);
    expect(contradictory.json().errors).toEqual([{ field: 'feedback.1', message: expect.stringMatching(/contradicts/) }]);
    expect(await decisionsOf(resultId)).toEqual([]);
  });

  it('takes an override without a reason code (as CDS Hooks allows) and records no decision for it', async () => {
    const resultId = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(4) });
    const [card] = await cardsFor([ct]);
    for (const entry of [
      { card: card.uuid, outcome: 'overridden', outcomeTimestamp: now.toISOString() },
      { card: card.uuid, outcome: 'overridden', overrideReason: { userComment: 'seen it' }, outcomeTimestamp: now.toISOString() },
    ]) {
      const response = await feedback([entry]);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({ feedback: [] });
    }
    expect(await decisionsOf(resultId)).toEqual([]);
    expect((await feedback([{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: now.toISOString() }])).statusCode).toBe(404);
  });

  it('is 404 for a card this service did not answer to this hospital', async () => {
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(4) });
    const [card] = await cardsFor([ct]);
    expect((await feedback([accepted(randomUUID())])).statusCode).toBe(404);
    // The same card through the other service, or from another hospital's client.
    expect((await feedback([accepted(card.uuid!)], orderSelect)).statusCode).toBe(404);
    const otherHospital = await registerCdsClient(ctx.app, await makeHospital(ctx.db));
    const response = await feedback([accepted(card.uuid!)], orderSign, otherHospital);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, type: expect.stringMatching(/not-found$/) });
  });

  it('is 409 no-longer-recognizable when the result was withdrawn since the card, and records nothing', async () => {
    const resultId = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(4) });
    const [card] = await cardsFor([ct], orderSelect);
    await ctx.db.updateTable('results').set({ status: 'entered-in-error' }).where('id', '=', resultId).execute();
    const response = await feedback([accepted(card.uuid!)], orderSelect);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      type: expect.stringMatching(/no-longer-recognizable$/),
      refused: [{ resultId, itemCode: ct, reasons: ['NR_REPORT_WITHDRAWN'] }],
      cards: [card.uuid],
    });
    expect(await decisionsOf(resultId)).toEqual([]);
    // Declining stays possible.
    expect((await feedback([overridden(card.uuid!, 'D8_NO_REFERENCE_VALUE')], orderSelect)).statusCode).toBe(200);
  });
});
