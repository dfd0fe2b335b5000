// Writing results safely: what a PUT refuses (invalid content, a client that may not write) and what concurrent PUTs of one
// accession number leave behind.
import { describe, expect, it } from 'vitest';
import { generateResidentId, residentIdCheckChar } from '../src/modules/patients/index.ts';
import { adminToken } from './helpers/auth.ts';
import { ctx, useResultsWorld, world } from './helpers/results-world.ts';
import { ctSubmission, expectIdNumbersKeptNowhere, putResult, residentId, sentIdNumbers } from './helpers/results.ts';

const { sent: idNumbersSent, patientId } = sentIdNumbers();
useResultsWorld();

describe('validation', () => {
  const valid = () => ctSubmission(residentId(), world.ct);
  const first17 = '33010619800101123';
  const wrongCheck = first17 + (residentIdCheckChar(first17) === '0' ? '1' : '0');
  const future = () => new Date(ctx.clock().getTime() + 60 * 60 * 1000).toISOString();

  const cases: [string, () => Record<string, unknown>, string][] = [
    [
      'a resident ID with a wrong check digit',
      () => ({ ...valid(), patient: { idType: 'resident_id', idNumber: wrongCheck } }),
      'patient.idNumber',
    ],
    [
      'a resident ID of the wrong length',
      () => ({ ...valid(), patient: { idType: 'resident_id', idNumber: '3301061980010112' } }),
      'patient.idNumber',
    ],
    [
      'a resident ID with an impossible birth date',
      () => ({ ...valid(), patient: { idType: 'resident_id', idNumber: generateResidentId('19800230') } }),
      'patient.idNumber',
    ],
    ['an unknown ID type', () => ({ ...valid(), patient: { idType: 'social_security', idNumber: 'X1' } }), 'patient.idType'],
    ['a missing patient', () => ({ ...valid(), patient: undefined }), 'patient'],
    ['performedAt without an offset', () => ({ ...valid(), performedAt: '2026-11-20T09:30:00' }), 'performedAt'],
    ['performedAt as a bare date', () => ({ ...valid(), performedAt: '2026-11-20' }), 'performedAt'],
    ['performedAt in the future', () => ({ ...valid(), performedAt: future(), reportedAt: undefined }), 'performedAt'],
    ['reportedAt before performedAt', () => ({ ...valid(), reportedAt: '2026-11-20T09:29:59+08:00' }), 'reportedAt'],
    ['an unknown item code', () => ({ ...valid(), itemCode: 'NO-SUCH-ITEM' }), 'itemCode'],
    ['an unmapped local code', () => ({ ...valid(), itemCode: undefined, localCode: 'NOT-MAPPED' }), 'localCode'],
    ['both itemCode and localCode', () => ({ ...valid(), localCode: world.localCode }), 'localCode'],
    ['neither itemCode nor localCode', () => ({ ...valid(), itemCode: undefined }), 'itemCode'],
    ['a status outside the FHIR vocabulary', () => ({ ...valid(), status: 'done' }), 'status'],
    ['an unknown kind', () => ({ ...valid(), kind: 'video' }), 'kind'],
    [
      'duplicate analyte codes',
      () => ({
        ...valid(),
        analytes: [
          { code: 'ALT', value: 1 },
          { code: 'ALT', value: 2 },
        ],
      }),
      'analytes.1.code',
    ],
    ['an analyte without a value', () => ({ ...valid(), analytes: [{ code: 'ALT' }] }), 'analytes.0.value'],
    ['an unknown field', () => ({ ...valid(), performed_at: '2026-11-20T09:30:00+08:00' }), 'performed_at'],
  ];

  it.each(cases)('rejects %s with a 400 problem naming the field', async (_name, body, field) => {
    const response = await putResult(ctx.app, world.tokenA, 'CT-INVALID', body());
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({ status: 400, type: expect.stringMatching(/validation$/), title: 'Invalid request' });
    expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
    for (const error of problem.errors) expect(typeof error.message).toBe('string');
  });

  it('rejects an accession number that is not 1-64 safe characters', async () => {
    for (const accession of ['a'.repeat(65), '-leading-hyphen', 'semi%3Bcolon']) {
      const response = await putResult(ctx.app, world.tokenA, accession, valid());
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].field).toBe('params.accessionNo');
    }
  });

  it('reports every domain problem of one submission at once and stores nothing', async () => {
    const response = await putResult(ctx.app, world.tokenA, 'CT-INVALID', {
      ...valid(),
      patient: { idType: 'resident_id', idNumber: wrongCheck },
      performedAt: future(),
      reportedAt: undefined,
      itemCode: 'NO-SUCH-ITEM',
    });
    expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual(['patient.idNumber', 'performedAt', 'itemCode']);
    const stored = await ctx.db.selectFrom('results').select('id').where('accession_no', '=', 'CT-INVALID').execute();
    expect(stored).toHaveLength(0);
  });
});

describe('authorisation', () => {
  it('answers 401 with WWW-Authenticate without a token', async () => {
    const response = await ctx.app.inject({ method: 'PUT', url: '/v1/results/CT-AUTH', payload: ctSubmission(residentId(), world.ct) });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    const unauthenticatedSearch = await ctx.app.inject({ method: 'POST', url: '/v1/results/search', payload: {} });
    expect(unauthenticatedSearch.statusCode).toBe(401);
  });

  it('refuses an administrator and a client without results:write (403)', async () => {
    const admin = await putResult(ctx.app, await adminToken(ctx.app), 'CT-AUTH', ctSubmission(residentId(), world.ct));
    expect(admin.statusCode).toBe(403);
    const readOnly = await putResult(
      ctx.app,
      await world.token(world.hospitalA, ['results:read']),
      'CT-AUTH',
      ctSubmission(residentId(), world.ct),
    );
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json()).toMatchObject({ status: 403, type: expect.stringMatching(/forbidden$/) });
  });

  it('always files a result under the token’s hospital: the same accession number elsewhere is another result', async () => {
    const idNumber = patientId();
    const a = await putResult(ctx.app, world.tokenA, 'SHARED-ACC', ctSubmission(idNumber, world.ct));
    const b = await putResult(ctx.app, world.tokenB, 'SHARED-ACC', ctSubmission(idNumber, world.ct, { findings: 'Other hospital.' }));
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json()).toMatchObject({ issuingHospitalId: world.hospitalB, version: 1 });
    expect(b.json().resultId).not.toBe(a.json().resultId);
    // A body naming another issuer is not a thing: unknown fields are refused.
    const spoof = await putResult(ctx.app, world.tokenB, 'SPOOF', {
      ...ctSubmission(idNumber, world.ct),
      issuingHospitalId: world.hospitalA,
    });
    expect(spoof.statusCode).toBe(400);
    // Hospital B cannot use hospital A's local code map.
    const local = await putResult(ctx.app, world.tokenB, 'LOCAL-B', {
      ...ctSubmission(idNumber, world.ct, { itemCode: undefined }),
      localCode: world.localCode,
    });
    expect(local.statusCode).toBe(400);
    expect(local.json().errors[0].field).toBe('localCode');
  });
});

describe('concurrency', () => {
  it('turns 50 concurrent PUTs of one accession into exactly one result', async () => {
    const submission = ctSubmission(patientId(), world.ct);
    const responses = await Promise.all(Array.from({ length: 50 }, () => putResult(ctx.app, world.tokenA, 'CT-RACE', submission)));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(new Set(responses.map((r) => r.json().resultId)).size).toBe(1);
    expect(responses.filter((r) => r.json().outcome === 'unchanged')).toHaveLength(49);
    const rows = await ctx.db.selectFrom('results').select(['id', 'version']).where('accession_no', '=', 'CT-RACE').execute();
    expect(rows).toEqual([{ id: responses[0].json().resultId, version: 1 }]);
    const versions = await ctx.db.selectFrom('result_versions').select('version').where('result_id', '=', rows[0].id).execute();
    expect(versions).toHaveLength(1);
  });

  it('serialises concurrent amendments: every version is counted once', async () => {
    const idNumber = patientId();
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        putResult(ctx.app, world.tokenA, 'CT-RACE-AMEND', ctSubmission(idNumber, world.ct, { findings: `Reading ${i}` })),
      ),
    );
    expect(responses.every((r) => r.statusCode === 200 || r.statusCode === 201)).toBe(true);
    expect(responses.filter((r) => r.json().outcome === 'created')).toHaveLength(1);
    expect(responses.map((r) => r.json().version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const row = await ctx.db
      .selectFrom('results')
      .select(['id', 'version'])
      .where('accession_no', '=', 'CT-RACE-AMEND')
      .executeTakeFirstOrThrow();
    expect(row.version).toBe(12);
    const versions = await ctx.db
      .selectFrom('result_versions')
      .select('version')
      .where('result_id', '=', row.id)
      .orderBy('version')
      .execute();
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('serialises concurrent patient corrections: one row, under the last patient, every version kept', async () => {
    const patients = [patientId(), patientId(), patientId()];
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        putResult(ctx.app, world.tokenA, 'CT-RACE-MOVE', ctSubmission(patients[i % 3], world.ct, { findings: `Reading ${i}` })),
      ),
    );
    expect(responses.every((r) => r.statusCode === 200 || r.statusCode === 201)).toBe(true);
    expect(new Set(responses.map((r) => r.json().resultId)).size).toBe(1);
    expect(responses.map((r) => r.json().version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const rows = await ctx.db
      .selectFrom('results')
      .select(['id', 'patient_key', 'version'])
      .where('accession_no', '=', 'CT-RACE-MOVE')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0].version).toBe(12);
    const accession = await ctx.db
      .selectFrom('result_accessions')
      .select(['result_id', 'patient_key'])
      .where('accession_no', '=', 'CT-RACE-MOVE')
      .executeTakeFirstOrThrow();
    expect(accession).toEqual({ result_id: rows[0].id, patient_key: rows[0].patient_key });
    const versions = await ctx.db
      .selectFrom('result_versions')
      .select(['version', 'patient_key'])
      .where('result_id', '=', rows[0].id)
      .orderBy('version')
      .execute();
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(new Set(versions.map((v) => v.patient_key))).toEqual(new Set([rows[0].patient_key]));
  });
  it('reads a result and its history whole while its patient is corrected: never missing, never half moved', async () => {
    const patients = [patientId(), patientId()];
    expect((await putResult(ctx.app, world.tokenA, 'CT-READ-MOVE', ctSubmission(patients[0], world.ct))).statusCode).toBe(201);
    const corrections = (async () => {
      for (let i = 1; i <= 20; i += 1) {
        const moved = await putResult(ctx.app, world.tokenA, 'CT-READ-MOVE', ctSubmission(patients[i % 2], world.ct));
        expect(moved.statusCode).toBe(200);
      }
    })();
    const problems: string[] = [];
    const reader = async () => {
      for (let i = 0; i < 30; i += 1) {
        const auth = { authorization: `Bearer ${world.tokenA}` };
        const [history, read] = await Promise.all([
          ctx.app.inject({ url: '/v1/results/CT-READ-MOVE/history', headers: auth }),
          ctx.app.inject({ url: '/v1/results/CT-READ-MOVE', headers: auth }),
        ]);
        if (read.statusCode !== 200) problems.push(`read ${read.statusCode}`);
        if (history.statusCode !== 200) problems.push(`history ${history.statusCode}`);
        else if (history.json().versions.length !== history.json().currentVersion) problems.push('history without all its versions');
      }
    };
    await Promise.all([reader(), reader(), corrections]);
    expect(problems).toEqual([]);
  });
});

describe('patient identity at rest and in logs', () => {
  it('stores and logs no resident ID number, in any spelling', async () => {
    expect(idNumbersSent.length).toBeGreaterThan(5);
    await expectIdNumbersKeptNowhere(ctx, idNumbersSent, { accessionNo: 'CT-RACE', path: '/v1/results/CT-RACE' });
  });
});
