// Recognition decisions against results that changed since their check: withdrawn, moved to another patient,
// under a retroactive revocation, or withdrawn while the decision is being made.
import { describe, expect, it } from 'vitest';
import { generateResidentId } from '../src/modules/patients/index.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { certify, makeHospital, makeHospitalClient } from './helpers/factories.ts';
import {
  accessionNo,
  adminAuth,
  ago,
  check,
  ct,
  ctBody,
  ctx,
  decide,
  national,
  ofResult,
  receiverAuth,
  recallsOf,
  seq,
  submit,
  useRecallsWorld,
} from './helpers/recalls-world.ts';

useRecallsWorld();

describe('decisions are judged again at decision time', () => {
  it('refuses a recognition of a result withdrawn since the check (409 with the reasons), logging nothing', async () => {
    const created = await submit(ctBody());
    const resultId = created.json().resultId as string;
    const checkId = (await check()).json().checkId as string;
    await submit(ctBody({ status: 'entered-in-error' }));
    const refused = await decide(checkId, resultId);
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 409, refused: [{ resultId, itemCode: ct, reasons: ['NR_REPORT_WITHDRAWN'] }] });
    const decisions = await ctx.db.selectFrom('recognition_decisions').select('id').where('check_id', '=', checkId).execute();
    expect(decisions).toEqual([]);
    // A decline stays possible: the doctor repeats the exam.
    expect((await decide(checkId, resultId, 'declined')).statusCode).toBe(201);
  });

  it('refuses a recognition of a result moved to another patient since the check, logging nothing', async () => {
    const created = await submit(ctBody());
    const resultId = created.json().resultId as string;
    const checkId = (await check()).json().checkId as string;
    await submit({
      ...ctBody(),
      patient: { idType: 'resident_id', idNumber: generateResidentId('19800202', '330106', String(seq)) },
    });
    const refused = await decide(checkId, resultId);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ refused: [{ resultId, itemCode: ct, reasons: [] }] });
    expect(refused.json().detail).toMatch(/no longer indexed for this patient/);
    const decisions = await ctx.db.selectFrom('recognition_decisions').select('id').where('check_id', '=', checkId).execute();
    expect(decisions).toEqual([]);
  });

  it('refuses a recognition after a retroactive revocation recorded since the check', async () => {
    const other = await makeHospital(ctx.db, { city: 'Hangzhou' });
    await certify(ctx.db, { hospitalId: other, scopeId: national });
    const otherClient = await makeHospitalClient(ctx.db, other);
    const otherAuth = bearer(await tokenFor(ctx.app, otherClient.clientId, otherClient.clientSecret));
    const created = await ctx.app.inject({ method: 'PUT', url: `/v1/results/${accessionNo}`, headers: otherAuth, payload: ctBody() });
    const resultId = created.json().resultId as string;
    const checkId = (await check()).json().checkId as string;
    const revoked = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${other}/certifications`,
      headers: adminAuth,
      payload: { scopeId: national, status: 'revoked', effectiveFrom: ago(30).toISOString(), note: 'falsified QC records' },
    });
    expect(revoked.statusCode).toBe(201);
    const refused = await decide(checkId, resultId);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().refused[0].reasons).toContain('NR_ISSUER_REVOKED');
  });
});

describe('a decision racing a withdrawal', () => {
  it('either refuses the recognition or is recalled by the withdrawal: never a silent reuse', async () => {
    for (let round = 0; round < 6; round++) {
      const acc = `${accessionNo}-R${round}`;
      const resultId = (await submit(ctBody(), acc)).json().resultId as string;
      const checkId = (await check()).json().checkId as string;
      const [decided, withdrawn] = await Promise.all([decide(checkId, resultId), submit(ctBody({ status: 'entered-in-error' }), acc)]);
      expect(withdrawn.statusCode).toBe(200);
      const recalled = ofResult(await recallsOf(receiverAuth), resultId);
      if (decided.statusCode === 201) expect(recalled.map((r) => r.cause)).toEqual(['withdrawn']);
      else {
        expect(decided.statusCode).toBe(409);
        expect(recalled).toEqual([]);
      }
    }
  });
});
