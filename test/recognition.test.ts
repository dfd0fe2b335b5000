import { auditedRequest } from './helpers/audit.ts';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/logger.ts';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { certify, makeHospital, makeHospitalClient, makeResult, makeScope } from './helpers/factories.ts';
import {
  ago,
  alt,
  check,
  ct,
  ctx,
  idNumber,
  issuer,
  key,
  lft,
  receiver,
  receiverAuth,
  useRecognitionWorld,
} from './helpers/recognition-world.ts';

useRecognitionWorld();

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
