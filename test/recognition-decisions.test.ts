import { auditedRequest, patientOfCheck } from './helpers/audit.ts';
import { describe, expect, it } from 'vitest';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { makeHospitalClient, makeResult } from './helpers/factories.ts';
import { ago, check, ct, ctx, issuer, key, receiverAuth, useRecognitionWorld } from './helpers/recognition-world.ts';

useRecognitionWorld();

const decide = (checkId: string, decisions: object[], headers = receiverAuth) =>
  ctx.app.inject({ method: 'POST', url: `/v1/recognition-checks/${checkId}/decisions`, headers, payload: { decisions } });

describe('decisions', () => {
  async function checkWith(results: { days: number; item?: string; status?: string }[]) {
    const ids = [];
    for (const r of results)
      ids.push(
        await makeResult(ctx.db, {
          hospitalId: issuer,
          patientKey: key,
          itemCode: r.item ?? ct,
          kind: 'images',
          performedAt: ago(r.days),
          status: r.status,
        }),
      );
    const { checkId } = (await check([ct])).json();
    return { checkId, ids };
  }

  it('logs a recognition with its savings, idempotently', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }]);
    const first = await decide(checkId, [{ resultId: ids[0], action: 'recognized' }]);
    expect(first.statusCode).toBe(201);
    expect(first.json().decisions).toEqual([
      expect.objectContaining({
        resultId: ids[0],
        itemCode: ct,
        action: 'recognized',
        reasonCode: null,
        flagged: false,
        savings: { yuan: 280, minutes: 60, radiationMsv: 7 },
      }),
    ]);
    const again = await decide(checkId, [{ resultId: ids[0], action: 'recognized' }]);
    expect(again.statusCode).toBe(200);
    expect(again.json().decisions[0].decisionId).toBe(first.json().decisions[0].decisionId);
    const contradicting = await decide(checkId, [{ resultId: ids[0], action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' }]);
    expect(contradicting.statusCode).toBe(409);
    const row = await ctx.db
      .selectFrom('recognition_decisions')
      .select(['rule_set_version', 'practitioner_id'])
      .where('check_id', '=', checkId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ rule_set_version: 1, practitioner_id: 'DR-7' });
  });

  it('treats only the very same decision as a repeat, and records the deciding doctor', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }]);
    const first = await ctx.app.inject({
      method: 'POST',
      url: `/v1/recognition-checks/${checkId}/decisions`,
      headers: receiverAuth,
      payload: { practitionerId: 'DR-9', decisions: [{ resultId: ids[0], action: 'declined', reasonCode: 'D8_NO_REFERENCE_VALUE' }] },
    });
    expect(first.statusCode).toBe(201);
    const otherReason = await decide(checkId, [
      { resultId: ids[0], action: 'declined', reasonCode: 'D6_OTHER', reasonText: 'Changed my mind' },
    ]);
    expect(otherReason.statusCode).toBe(409);
    const twice = await decide(checkId, [
      { resultId: ids[0], action: 'declined', reasonCode: 'D8_NO_REFERENCE_VALUE' },
      { resultId: ids[0], action: 'declined', reasonCode: 'D8_NO_REFERENCE_VALUE' },
    ]);
    expect(twice.statusCode).toBe(400);
    expect(twice.json().errors[0].field).toBe('decisions.1.resultId');
    const row = await ctx.db
      .selectFrom('recognition_decisions')
      .select('practitioner_id')
      .where('check_id', '=', checkId)
      .executeTakeFirstOrThrow();
    expect(row.practitioner_id).toBe('DR-9');
  });

  it('flags a decline of a recognisable result without an advisory, and logs no savings', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }, { days: 40 }]);
    const response = await decide(checkId, [
      { resultId: ids[0], action: 'declined', reasonCode: 'D8_NO_REFERENCE_VALUE' },
      { resultId: ids[1], action: 'declined', reasonCode: 'D6_OTHER', reasonText: 'Old study' },
    ]);
    expect(response.statusCode).toBe(201);
    const [recognisable, expired] = response.json().decisions;
    expect(recognisable).toMatchObject({ flagged: true, savings: { yuan: 0, minutes: 0, radiationMsv: 0 } });
    expect(expired).toMatchObject({ flagged: false, reasonCode: 'D6_OTHER', reasonText: 'Old study' });
  });

  it('requires a decline code, and free text with D6_OTHER', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }]);
    const noCode = await decide(checkId, [{ resultId: ids[0], action: 'declined' }]);
    expect(noCode.statusCode).toBe(400);
    expect(noCode.json().errors).toEqual([{ field: 'decisions.0.reasonCode', message: 'is required to decline' }]);
    const noText = await decide(checkId, [{ resultId: ids[0], action: 'declined', reasonCode: 'D6_OTHER' }]);
    expect(noText.json().errors[0].field).toBe('decisions.0.reasonText');
    const tooLong = await decide(checkId, [{ resultId: ids[0], action: 'declined', reasonCode: 'D6_OTHER', reasonText: 'x'.repeat(201) }]);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().errors[0].field).toBe('decisions.0.reasonText');
    const unknownCode = await decide(checkId, [{ resultId: ids[0], action: 'declined', reasonCode: 'D99' }]);
    expect(unknownCode.statusCode).toBe(400);
  });

  it('refuses to recognise a non-recognisable candidate, or a second result for one item', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }, { days: 6 }, { days: 2, status: 'preliminary' }]);
    expect((await decide(checkId, [{ resultId: ids[2], action: 'recognized' }])).statusCode).toBe(409);
    expect((await decide(checkId, [{ resultId: ids[0], action: 'recognized' }])).statusCode).toBe(201);
    const second = await decide(checkId, [{ resultId: ids[1], action: 'recognized' }]);
    expect(second.statusCode).toBe(409);
    expect(second.json().type).toMatch(/already-recognized$/);
  });

  it('writes nothing when one decision of a request is refused', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }, { days: 2, status: 'preliminary' }]);
    const response = await decide(checkId, [
      { resultId: ids[0], action: 'recognized' },
      { resultId: ids[1], action: 'recognized' },
    ]);
    expect(response.statusCode).toBe(409);
    const rows = await ctx.db.selectFrom('recognition_decisions').select('id').where('check_id', '=', checkId).execute();
    expect(rows).toEqual([]);
  });

  it('lets only the checking hospital decide, only on its candidates', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }]);
    const other = await makeHospitalClient(ctx.db, issuer);
    const otherAuth = bearer(await tokenFor(ctx.app, other.clientId, other.clientSecret));
    const refused = await decide(checkId, [{ resultId: ids[0], action: 'recognized' }], otherAuth);
    expect(refused.statusCode).toBe(403);
    // Audited under the check's patient, which the other hospital's request did not name.
    expect(await auditedRequest(ctx.db, refused.headers['x-request-id'] as string)).toMatchObject({
      action: 'recognition.decision',
      outcome: 'refused',
      check_id: checkId,
      patient_key: await patientOfCheck(ctx.db, checkId),
    });
    const stranger = await decide(checkId, [{ resultId: '00000000-0000-4000-8000-000000000000', action: 'recognized' }]);
    expect(stranger.statusCode).toBe(400);
    expect(stranger.json().errors[0].field).toBe('decisions.0.resultId');
    expect((await decide('00000000-0000-4000-8000-000000000001', [{ resultId: ids[0], action: 'recognized' }])).statusCode).toBe(404);
    expect((await decide('not-a-uuid', [{ resultId: ids[0], action: 'recognized' }])).statusCode).toBe(400);
  });

  it('records exactly one recognition per item under concurrent decisions', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }, { days: 6 }]);
    const responses = await Promise.all([
      decide(checkId, [{ resultId: ids[0], action: 'recognized' }]),
      decide(checkId, [{ resultId: ids[1], action: 'recognized' }]),
    ]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const rows = await ctx.db.selectFrom('recognition_decisions').select('id').where('check_id', '=', checkId).execute();
    expect(rows).toHaveLength(1);
  });

  it('keeps the log append-only in the database', async () => {
    const { checkId, ids } = await checkWith([{ days: 4 }]);
    await decide(checkId, [{ resultId: ids[0], action: 'recognized' }]);
    await expect(ctx.db.updateTable('recognition_decisions').set({ yuan: 0 }).where('check_id', '=', checkId).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(ctx.db.deleteFrom('recognition_decisions').where('check_id', '=', checkId).execute()).rejects.toThrow(/append-only/);
  });
});

describe('rule settings', () => {
  it('changes only the named fields, versions each change, and decisions record the version', async () => {
    const admin = bearer(await adminToken(ctx.app));
    const before = (await ctx.app.inject({ url: '/v1/settings/rules', headers: receiverAuth })).json();
    const put = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/settings/rules',
      headers: admin,
      payload: { tierDirection: 'downward-only-outside-city' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      version: before.version + 1,
      tierDirection: 'downward-only-outside-city',
      lookbackDays: before.lookbackDays,
    });
    expect(
      (await ctx.app.inject({ method: 'PUT', url: '/v1/settings/rules', headers: receiverAuth, payload: { lookbackDays: 30 } })).statusCode,
    ).toBe(403);
    expect((await ctx.app.inject({ method: 'PUT', url: '/v1/settings/rules', headers: admin, payload: {} })).statusCode).toBe(400);
    expect(
      (await ctx.app.inject({ method: 'PUT', url: '/v1/settings/rules', headers: admin, payload: { tierDirection: 'upward' } })).statusCode,
    ).toBe(400);
    const resultId = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(3) });
    const body = (await check([ct])).json();
    expect(body.ruleSetVersion).toBe(before.version + 1);
    const decided = await decide(body.checkId, [{ resultId, action: 'recognized' }]);
    expect(decided.statusCode).toBe(201);
    const row = await ctx.db
      .selectFrom('recognition_decisions')
      .select('rule_set_version')
      .where('check_id', '=', body.checkId)
      .executeTakeFirstOrThrow();
    expect(row.rule_set_version).toBe(before.version + 1);
    await ctx.app.inject({ method: 'PUT', url: '/v1/settings/rules', headers: admin, payload: { tierDirection: 'symmetric' } });
  });
});
