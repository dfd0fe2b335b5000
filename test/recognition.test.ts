import { auditedRequest, patientOfCheck } from './helpers/audit.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/logger.ts';
import { generateResidentId, patientKey } from '../src/modules/patients/index.ts';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, patientKeySecret, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeResult, makeScope } from './helpers/factories.ts';

let ctx: TestContext;
const now = new Date('2026-11-30T02:00:00Z');
const day = 86_400_000;
const ago = (days: number) => new Date(now.getTime() - days * day);

let receiver: string;
let issuer: string;
let receiverAuth: Record<string, string>;
let ct: string;
let lft: string;
let alt: string;

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.clock.set(now);
  receiver = await makeHospital(ctx.db, { city: 'Ningbo', priceTier: 'T2' });
  issuer = await makeHospital(ctx.db, { city: 'Hangzhou', name: 'Hangzhou First' });
  const national = await makeScope(ctx.db, { level: 'national' });
  await certify(ctx.db, { hospitalId: issuer, scopeId: national });
  ct = await makeItem(ctx.db, {
    name: 'CT chest',
    category: 'ct',
    validityDays: 30,
    prices: { T1: 320, T2: 280, T3: 240 },
    minutesSaved: 60,
    radiationMsv: 7,
  });
  lft = await makeItem(ctx.db, {
    name: 'Liver panel',
    category: 'lab',
    validityDays: 30,
    analytes: ['ALT', 'AST'],
    prices: { T1: 60 },
    minutesSaved: 30,
    radiationMsv: null,
  });
  alt = await makeItem(ctx.db, {
    name: 'ALT',
    category: 'lab',
    validityDays: 30,
    analytes: ['ALT'],
    prices: { T1: 10, T2: 8 },
    minutesSaved: 30,
    radiationMsv: null,
  });
  const client = await makeHospitalClient(ctx.db, receiver);
  receiverAuth = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
});
afterAll(() => ctx.close());

let idNumber: string;
let key: string;
let seq = 100;
beforeEach(() => {
  idNumber = generateResidentId('19800101', '330106', String(seq++));
  key = patientKey(patientKeySecret, 'resident_id', idNumber);
});

const check = (items: string[], extra: Record<string, unknown> = {}, headers: Record<string, string> = receiverAuth) =>
  ctx.app.inject({
    method: 'POST',
    url: '/v1/recognition-checks',
    headers,
    payload: { practitionerId: 'DR-7', patient: { idType: 'resident_id', idNumber }, items, purpose: 'treatment', ...extra },
  });

const decide = (checkId: string, decisions: object[], headers = receiverAuth) =>
  ctx.app.inject({ method: 'POST', url: `/v1/recognition-checks/${checkId}/decisions`, headers, payload: { decisions } });

describe('recognition checks', () => {
  it('finds a recognisable CT from another hospital, priced at the receiver’s tier', async () => {
    const resultId = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(10) });
    const response = await check([ct]);
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.ruleSetVersion).toBe(1);
    expect(body.items).toHaveLength(1);
    expect(body.items[0].candidates).toEqual([
      expect.objectContaining({
        resultId,
        issuingHospitalId: issuer,
        outcome: 'RECOGNIZABLE',
        retestPermitted: false,
        reasons: [],
        advisories: [],
        savings: { yuan: 280, minutes: 60, radiationMsv: 7 },
      }),
    ]);
    expect(body.items[0].candidates[0].explanation).toMatch(/^Recognisable/);
    await ctx.db.updateTable('items').set({ name_zh: '胸部CT平扫' }).where('code', '=', ct).execute();
    const zh = await check([ct], {}, { ...receiverAuth, 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    expect(zh.json().items[0].candidates[0].explanation).toMatch(/^可予互认.*胸部CT平扫/);
  });

  it('judges with the registry as it is now, whoever changed it and wherever the check runs', async () => {
    const other = await buildApp({
      config: ctx.config,
      database: ctx.database,
      logger: createLogger('silent'),
      clock: ctx.clock,
      keys: ctx.keys,
    });
    await other.ready();
    try {
      const lab = await makeHospital(ctx.db, { city: 'Wenzhou' });
      const scope = await makeScope(ctx.db, { level: 'national' });
      await certify(ctx.db, { hospitalId: lab, scopeId: scope });
      await makeResult(ctx.db, { hospitalId: lab, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(5) });
      const outcome = async (app: typeof ctx.app) =>
        (
          await app.inject({
            method: 'POST',
            url: '/v1/recognition-checks',
            headers: receiverAuth,
            payload: { practitionerId: 'DR-7', patient: { idType: 'resident_id', idNumber }, items: [ct], purpose: 'treatment' },
          })
        ).json().items[0].candidates[0];
      // Both instances hold the registry in memory...
      expect((await outcome(ctx.app)).outcome).toBe('RECOGNIZABLE');
      expect((await outcome(other)).outcome).toBe('RECOGNIZABLE');
      // ...and an operator's SQL suspends the issuer (effective before the exam): the very next check on either sees it.
      await certify(ctx.db, { hospitalId: lab, scopeId: scope, status: 'suspended', effectiveFrom: ago(30) });
      expect((await outcome(other)).reasons).toContain('NR_ISSUER_SUSPENDED');
      expect((await outcome(ctx.app)).reasons).toContain('NR_ISSUER_SUSPENDED');
    } finally {
      await other.close();
    }
  });

  it('lists expired results after recognisable ones, with their reason', async () => {
    const old = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(31) });
    const fresh = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(2) });
    const candidates = (await check([ct])).json().items[0].candidates;
    expect(candidates.map((c: { resultId: string }) => c.resultId)).toEqual([fresh, old]);
    expect(candidates[1]).toMatchObject({ outcome: 'NOT_RECOGNIZABLE', reasons: ['NR_EXPIRED'] });
  });

  it('marks retest permitted from the request context and thin-slice needs', async () => {
    await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(5) });
    const candidate = (await check([ct], { context: { emergency: true, needsThinSlice: true } })).json().items[0].candidates[0];
    expect(candidate).toMatchObject({
      outcome: 'RECOGNIZABLE',
      retestPermitted: true,
      advisories: ['D4_EMERGENCY', 'D9_EQUIPMENT_QUALITY'],
    });
  });

  it('offers a liver panel for a requested ALT, judged and priced as the ALT', async () => {
    const panel = await makeResult(ctx.db, {
      hospitalId: issuer,
      patientKey: key,
      itemCode: lft,
      analyteCodes: ['ALT', 'AST'],
      performedAt: ago(3),
    });
    const item = (await check([alt])).json().items[0];
    expect(item.itemCode).toBe(alt);
    expect(item.candidates).toEqual([
      expect.objectContaining({
        resultId: panel,
        itemCode: lft,
        outcome: 'RECOGNIZABLE',
        savings: { yuan: 8, minutes: 30, radiationMsv: 0 },
      }),
    ]);
  });

  it('accepts the receiver’s local code for an item', async () => {
    await ctx.db.insertInto('code_maps').values({ hospital_id: receiver, local_code: 'LOCAL-CT-99', item_code: ct }).execute();
    const body = (await check(['LOCAL-CT-99'])).json();
    expect(body.items[0]).toMatchObject({ itemCode: ct, requestedCode: 'LOCAL-CT-99' });
  });

  it('stores the check and audits it as a read of patient data', async () => {
    const resultId = await makeResult(ctx.db, { hospitalId: issuer, patientKey: key, itemCode: ct, kind: 'images', performedAt: ago(1) });
    const { checkId } = (await check([ct, alt])).json();
    const items = await ctx.db
      .selectFrom('check_items')
      .select(['item_code', 'has_recognizable'])
      .where('check_id', '=', checkId)
      .orderBy('position')
      .execute();
    expect(items).toEqual([
      { item_code: ct, has_recognizable: true },
      { item_code: alt, has_recognizable: false },
    ]);
    const audit = await ctx.db.selectFrom('audit_events').selectAll().where('check_id', '=', checkId).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({
      action: 'recognition.check',
      practitioner_id: 'DR-7',
      purpose: 'treatment',
      patient_key: key,
      result_ids: [resultId],
    });
  });

  it('refuses any purpose other than treatment before reading anything, and audits the refused attempt', async () => {
    const response = await check([ct], { purpose: 'research' });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    const event = await auditedRequest(ctx.db, response.headers['x-request-id'] as string);
    expect(event).toMatchObject({ action: 'recognition.check', outcome: 'refused', purpose: 'research', check_id: null, result_ids: [] });
  });

  it('rejects an invalid resident ID, unknown items and malformed bodies', async () => {
    const badId = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: receiverAuth,
      payload: {
        practitionerId: 'DR-7',
        patient: { idType: 'resident_id', idNumber: '110105194912310021' },
        items: [ct],
        purpose: 'treatment',
      },
    });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('patient.idNumber');
    const unknown = await check([ct, 'NOT-AN-ITEM']);
    expect(unknown.json().errors).toEqual([{ field: 'items.1', message: expect.stringContaining('NOT-AN-ITEM') }]);
    const extra = await check([ct], { bogus: 1, also: 2 });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors).toEqual([
      { field: 'bogus', message: 'is not a recognised field' },
      { field: 'also', message: 'is not a recognised field' },
    ]);
    const nul = await check([ct], { practitionerId: 'DR\u00007' });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().errors).toEqual([{ field: 'practitionerId', message: expect.stringMatching(/^must be 1-64 letters/) }]);
    const malformed = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: receiverAuth,
      payload: { items: [] },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['practitionerId', 'patient', 'items', 'purpose']),
    );
  });

  it('is for hospital clients with the recognition scope', async () => {
    const admin = bearer(await adminToken(ctx.app));
    expect((await check([ct], {}, admin)).statusCode).toBe(403);
    const writer = await makeHospitalClient(ctx.db, receiver, ['results:write']);
    expect((await check([ct], {}, bearer(await tokenFor(ctx.app, writer.clientId, writer.clientSecret)))).statusCode).toBe(403);
    expect((await check([ct], {}, {})).statusCode).toBe(401);
  });
});

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
