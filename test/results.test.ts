import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer } from './helpers/auth.ts';
import { ctx, useResultsWorld, world } from './helpers/results-world.ts';
import { ctSubmission, expectIdNumbersKeptNowhere, putResult, searchResults, sentIdNumbers } from './helpers/results.ts';

const { sent: idNumbersSent, patientId } = sentIdNumbers();
useResultsWorld();

describe('PUT /v1/results/{accessionNo}', () => {
  it('creates a result (201, Location) and answers the stored result', async () => {
    const response = await putResult(ctx.app, world.tokenA, 'CT-0001', ctSubmission(patientId(), world.ct));
    expect(response.statusCode).toBe(201);
    expect(response.headers.location).toBe('/v1/results/CT-0001');
    const body = response.json();
    expect(body).toMatchObject({
      accessionNo: 'CT-0001',
      issuingHospitalId: world.hospitalA,
      itemCode: world.ct,
      localCode: null,
      performedAt: '2026-11-20T01:30:00.000Z',
      reportedAt: '2026-11-20T03:00:00.000Z',
      status: 'final',
      kind: 'images',
      imagesAvailable: null,
      criticalOpen: false,
      equipment: { sliceCount: 64, thinSlice: true, model: 'Revolution' },
      analytes: null,
      version: 1,
      outcome: 'created',
    });
    expect(body.resultId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).not.toHaveProperty('patientKey');
    expect(body).not.toHaveProperty('contentHash');
  });

  it('answers 200 unchanged for the same content and writes nothing', async () => {
    const submission = ctSubmission(patientId(), world.ct);
    const first = await putResult(ctx.app, world.tokenA, 'CT-IDEM', submission);
    expect(first.statusCode).toBe(201);
    const before = await ctx.db
      .selectFrom('results')
      .select(['updated_at', 'version'])
      .where('id', '=', first.json().resultId)
      .executeTakeFirstOrThrow();

    // The same content spelt differently: key order, another offset for the same instant, a lower-case id.
    const respelt = {
      findings: submission.findings,
      status: 'final',
      performedAt: '2026-11-20T01:30:00Z',
      reportedAt: '2026-11-20T03:00:00.000+00:00',
      itemCode: world.ct,
      kind: 'images',
      criticalOpen: false,
      studyUid: submission.studyUid,
      equipment: { model: 'Revolution', thinSlice: true, sliceCount: 64 },
      patient: { idType: 'resident_id', idNumber: ` ${submission.patient.idNumber.toLowerCase()} ` },
    };
    for (const body of [submission, respelt]) {
      const again = await putResult(ctx.app, world.tokenA, 'CT-IDEM', body);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ resultId: first.json().resultId, outcome: 'unchanged', version: 1 });
      expect(again.headers.location).toBe('/v1/results/CT-IDEM');
    }
    const after = await ctx.db
      .selectFrom('results')
      .select(['updated_at', 'version'])
      .where('id', '=', first.json().resultId)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    const versions = await ctx.db.selectFrom('result_versions').select('version').where('result_id', '=', first.json().resultId).execute();
    expect(versions).toHaveLength(1);
  });

  it('amends a changed result: version increments and the history keeps every version', async () => {
    const idNumber = patientId();
    const preliminary = ctSubmission(idNumber, world.ct, { status: 'preliminary', findings: 'Pending review.' });
    const created = await putResult(ctx.app, world.tokenA, 'CT-AMEND', preliminary);
    expect(created.statusCode).toBe(201);
    const final = await putResult(
      ctx.app,
      world.tokenA,
      'CT-AMEND',
      ctSubmission(idNumber, world.ct, { status: 'final', findings: 'Nodule 4 mm.' }),
    );
    expect(final.statusCode).toBe(200);
    expect(final.json()).toMatchObject({
      resultId: created.json().resultId,
      outcome: 'updated',
      version: 2,
      status: 'final',
      findings: 'Nodule 4 mm.',
    });
    const amended = await putResult(
      ctx.app,
      world.tokenA,
      'CT-AMEND',
      ctSubmission(idNumber, world.ct, { status: 'amended', findings: 'Nodule 5 mm.' }),
    );
    expect(amended.json()).toMatchObject({ outcome: 'updated', version: 3 });

    const history = await ctx.db
      .selectFrom('result_versions')
      .select(['version', 'content', 'recorded_by'])
      .where('result_id', '=', created.json().resultId)
      .orderBy('version')
      .execute();
    expect(history.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(history.map((v) => (v.content as { status: string }).status)).toEqual(['preliminary', 'final', 'amended']);
    expect((history[0].content as { findings: string }).findings).toBe('Pending review.');
    expect(history[0].recorded_by).toMatch(new RegExp(`^${world.hospitalA}-client-`));
    const rows = await ctx.db.selectFrom('results').select('id').where('accession_no', '=', 'CT-AMEND').execute();
    expect(rows).toHaveLength(1);
  });

  it('moves a result whose patient is corrected: same id, next version, found only under the new patient', async () => {
    const wrong = patientId();
    const right = patientId();
    const created = await putResult(ctx.app, world.tokenA, 'CT-MOVE', ctSubmission(wrong, world.ct, { status: 'preliminary' }));
    await putResult(ctx.app, world.tokenA, 'CT-MOVE', ctSubmission(wrong, world.ct));
    const moved = await putResult(ctx.app, world.tokenA, 'CT-MOVE', ctSubmission(right, world.ct));
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ resultId: created.json().resultId, outcome: 'updated', version: 3 });
    expect(moved.json().createdAt).toBe(created.json().createdAt);

    const found = async (idNumber: string) =>
      (
        await searchResults(ctx.app, world.tokenA, {
          patient: { idType: 'resident_id', idNumber },
          purpose: 'treatment',
          practitionerId: 'DR-1',
        })
      ).json().results.length;
    expect(await found(wrong)).toBe(0);
    expect(await found(right)).toBe(1);

    const history = await ctx.app.inject({ method: 'GET', url: '/v1/results/CT-MOVE/history', headers: bearer(world.tokenA) });
    expect(history.json().versions.map((v: { version: number; changedFields: string[] }) => [v.version, v.changedFields])).toEqual([
      [1, []],
      [2, ['status']],
      [3, ['patient']],
    ]);
    const rows = await ctx.db.selectFrom('results').select(['id', 'version', 'moving']).where('accession_no', '=', 'CT-MOVE').execute();
    expect(rows).toEqual([{ id: created.json().resultId, version: 3, moving: false }]);
    const versions = await ctx.db
      .selectFrom('result_versions')
      .select('patient_key')
      .where('result_id', '=', created.json().resultId)
      .execute();
    const accession = await ctx.db
      .selectFrom('result_accessions')
      .select(['result_id', 'patient_key'])
      .where('accession_no', '=', 'CT-MOVE')
      .execute();
    expect(accession).toEqual([{ result_id: created.json().resultId, patient_key: versions[0].patient_key }]);
    expect(new Set(versions.map((v) => v.patient_key)).size).toBe(1);

    // Only a move removes a result row: a delete by hand is still refused.
    await expect(sql`delete from results where accession_no = 'CT-MOVE'`.execute(ctx.db)).rejects.toThrow(/never deleted/);
  });

  it('resolves a local code through the hospital’s code map and defaults the kind by category', async () => {
    const viaLocal = await putResult(ctx.app, world.tokenA, 'CT-LOCAL', {
      ...ctSubmission(patientId(), world.ct, { itemCode: undefined }),
      localCode: world.localCode,
    });
    expect(viaLocal.statusCode).toBe(201);
    expect(viaLocal.json()).toMatchObject({ itemCode: world.ct, localCode: world.localCode, kind: 'images' });

    const lab = await putResult(ctx.app, world.tokenA, 'LAB-0001', {
      patient: { idType: 'passport', idNumber: 'E12345678' },
      itemCode: world.lab,
      performedAt: '2026-11-25T08:00:00+08:00',
      status: 'final',
      analytes: [
        { code: 'ALT', value: 32, unit: 'U/L', referenceRange: '7-40' },
        { code: 'AST', value: '45', unit: 'U/L', flag: 'H' },
      ],
    });
    expect(lab.statusCode).toBe(201);
    expect(lab.json()).toMatchObject({
      kind: 'data',
      analytes: [
        { code: 'ALT', value: 32 },
        { code: 'AST', value: '45', flag: 'H' },
      ],
    });
    const row = await ctx.db.selectFrom('results').select('analyte_codes').where('accession_no', '=', 'LAB-0001').executeTakeFirstOrThrow();
    expect(row.analyte_codes).toEqual(['ALT', 'AST']);
  });

  it('reads back the hospital’s own result, and only its own', async () => {
    const own = await ctx.app.inject({ url: '/v1/results/CT-0001', headers: bearer(world.tokenA) });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ accessionNo: 'CT-0001', issuingHospitalId: world.hospitalA, version: 1 });
    const other = await ctx.app.inject({ url: '/v1/results/CT-0001', headers: bearer(world.tokenB) });
    expect(other.statusCode).toBe(404);
  });
});

describe('patient identity at rest and in logs', () => {
  it('stores and logs no resident ID number, in any spelling', async () => {
    expect(idNumbersSent.length).toBeGreaterThan(5);
    await expectIdNumbersKeptNowhere(ctx, [...idNumbersSent, 'E12345678'], { accessionNo: 'CT-0001', path: '/v1/results/CT-0001' });
  });
});
