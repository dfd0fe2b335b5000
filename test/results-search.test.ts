import { randomUUID } from 'node:crypto';
// The patient search: a hospital's doctor reads one patient's results from every hospital, for treatment only.
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { patientResultsQuery } from '../src/modules/results/repository.ts';
import { auditedRequest } from './helpers/audit.ts';
import { adminToken, bearer } from './helpers/auth.ts';
import { ctx, useResultsWorld, world } from './helpers/results-world.ts';
import { ctSubmission, expectIdNumbersKeptNowhere, putResult, residentId, searchResults, sentIdNumbers } from './helpers/results.ts';

const { sent: idNumbersSent, patientId } = sentIdNumbers();
useResultsWorld();

describe('POST /v1/results/search', () => {
  let idNumber: string;
  beforeAll(async () => {
    idNumber = patientId('19750615');
    const puts = [
      putResult(
        ctx.app,
        world.tokenA,
        'S-CT-OLD',
        ctSubmission(idNumber, world.ct, { performedAt: '2026-10-01T08:00:00+08:00', reportedAt: undefined }),
      ),
      putResult(
        ctx.app,
        world.tokenB,
        'S-CT-NEW',
        ctSubmission(idNumber, world.ct, { performedAt: '2026-11-28T08:00:00+08:00', reportedAt: undefined, criticalOpen: true }),
      ),
      putResult(ctx.app, world.tokenA, 'S-LAB', {
        patient: { idType: 'resident_id', idNumber },
        itemCode: world.lab,
        performedAt: '2026-11-15T08:00:00+08:00',
        status: 'preliminary',
        analytes: [{ code: 'ALT', value: 20 }],
      }),
      putResult(ctx.app, world.tokenA, 'S-OTHER-PATIENT', ctSubmission(patientId('19750616'), world.ct)),
    ];
    for (const response of await Promise.all(puts)) expect(response.statusCode).toBe(201);
  });

  const base = () => ({ patient: { idType: 'resident_id', idNumber }, practitionerId: 'DR-0042', purpose: 'treatment' });

  it('answers the patient’s results from every hospital, newest first, and audits the read', async () => {
    const response = await searchResults(ctx.app, world.tokenA, base());
    expect(response.statusCode).toBe(200);
    const { results } = response.json();
    expect(results.map((r: { accessionNo: string }) => r.accessionNo)).toEqual(['S-CT-NEW', 'S-LAB', 'S-CT-OLD']);
    expect(results[0]).toMatchObject({
      issuingHospital: { id: world.hospitalB, name: 'Ningbo Second Hospital', tier: 'secondary', city: 'Ningbo' },
      itemCode: world.ct,
      itemName: 'Chest CT',
      category: 'ct',
      performedAt: '2026-11-28T00:00:00.000Z',
      reportedAt: null,
      status: 'final',
      kind: 'images',
      imagesAvailable: null,
      criticalOpen: true,
      equipment: { sliceCount: 64, thinSlice: true, model: 'Revolution' },
      version: 1,
    });
    expect(results[1]).toMatchObject({
      itemName: 'Liver panel',
      category: 'lab',
      kind: 'data',
      status: 'preliminary',
      analytes: [{ code: 'ALT', value: 20 }],
    });
    for (const result of results) expect(Object.keys(result)).not.toContain('patientKey');

    const event = await auditedRequest(ctx.db, response.headers['x-request-id'] as string);
    expect(event).toMatchObject({
      action: 'results.search',
      hospital_id: world.hospitalA,
      practitioner_id: 'DR-0042',
      purpose: 'treatment',
    });
    expect(event.client_id).toMatch(new RegExp(`^${world.hospitalA}-client-`));
    expect(event.patient_key).toMatch(/^[0-9a-f]{64}$/);
    expect([...event.result_ids].sort()).toEqual(results.map((r: { resultId: string }) => r.resultId).sort());
  });

  it('filters by item codes and by since', async () => {
    const labOnly = await searchResults(ctx.app, world.tokenA, { ...base(), itemCodes: [world.lab] });
    expect(labOnly.json().results.map((r: { accessionNo: string }) => r.accessionNo)).toEqual(['S-LAB']);
    const recent = await searchResults(ctx.app, world.tokenA, { ...base(), since: '2026-11-15T08:00:00+08:00' });
    expect(recent.json().results.map((r: { accessionNo: string }) => r.accessionNo)).toEqual(['S-CT-NEW', 'S-LAB']);
    const both = await searchResults(ctx.app, world.tokenA, { ...base(), itemCodes: [world.ct], since: '2026-11-01T00:00:00Z' });
    expect(both.json().results.map((r: { accessionNo: string }) => r.accessionNo)).toEqual(['S-CT-NEW']);
    const nobody = await searchResults(ctx.app, world.tokenA, { ...base(), patient: { idType: 'passport', idNumber: 'NOBODY-1' } });
    expect(nobody.json()).toEqual({ results: [], nextCursor: null });
  });

  it('pages with an opaque cursor, each result once, newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await searchResults(ctx.app, world.tokenA, { ...base(), limit: 2, ...(cursor ? { cursor } : {}) });
      expect(response.statusCode, response.body).toBe(200);
      const page: { results: { accessionNo: string }[]; nextCursor: string | null } = response.json();
      expect(page.results.length).toBeLessThanOrEqual(2);
      seen.push(...page.results.map((r) => r.accessionNo));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['S-CT-NEW', 'S-LAB', 'S-CT-OLD']);
    // Forged cursors: a wrong shape, an id that is no uuid, a time that is no time; each refused before the database reads it.
    for (const position of [
      '2026-01-01/x',
      `2026-01-01T00:00:00.000000Z/${'-'.repeat(36)}`,
      `2026-13-45T25:00:00.000000Z/${randomUUID()}`,
    ]) {
      const forged = await searchResults(ctx.app, world.tokenA, { ...base(), cursor: Buffer.from(position).toString('base64url') });
      expect(forged.statusCode, position).toBe(400);
      expect(forged.json().errors[0].field).toBe('cursor');
    }
    expect((await searchResults(ctx.app, world.tokenA, { ...base(), limit: 101 })).statusCode).toBe(400);
  });

  it('ends a page early once its free text passes the byte budget, so no answer is unbounded', async () => {
    const heavy = residentId('19550505');
    const findings = '肺'.repeat(20_000); // 60,000 bytes of UTF-8 each
    const results = Array.from({ length: 40 }, (_, n) => ({ accessionNo: `HEAVY-${n}`, ...ctSubmission(heavy, world.ct, { findings }) }));
    const batch = await ctx.app.inject({ method: 'POST', url: '/v1/results/batch', headers: bearer(world.tokenB), payload: { results } });
    expect(batch.statusCode, batch.body).toBe(200);
    const first = await searchResults(ctx.app, world.tokenA, {
      ...base(),
      patient: { idType: 'resident_id', idNumber: heavy },
      limit: 100,
    });
    const page = first.json();
    expect(page.results.length).toBeGreaterThan(0);
    expect(page.results.length).toBeLessThan(40);
    expect(page.results.length * 60_000).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(page.nextCursor).not.toBeNull();
  });

  it('refuses any purpose but treatment with 403 before reading anything, and audits the refused attempt', async () => {
    const response = await searchResults(ctx.app, world.tokenA, { ...base(), purpose: 'research' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ status: 403, type: expect.stringMatching(/forbidden$/) });
    expect(response.body).not.toContain('S-CT');
    const event = await auditedRequest(ctx.db, response.headers['x-request-id'] as string);
    expect(event).toMatchObject({
      action: 'results.search',
      outcome: 'refused',
      outcome_detail: '403 forbidden',
      purpose: 'research',
      result_ids: [],
    });
    expect(event.patient_key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('validates the search body', async () => {
    const badId = await searchResults(ctx.app, world.tokenA, {
      ...base(),
      patient: { idType: 'resident_id', idNumber: '330106198001011230' },
    });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('patient.idNumber');
    const noPractitioner = await searchResults(ctx.app, world.tokenA, { patient: base().patient, purpose: 'treatment' });
    expect(noPractitioner.json().errors.map((e: { field: string }) => e.field)).toContain('practitionerId');
    const badSince = await searchResults(ctx.app, world.tokenA, { ...base(), since: '2026-11-01' });
    expect(badSince.json().errors[0].field).toBe('since');
  });

  it('needs results:read', async () => {
    const writer = await world.token(world.hospitalA, ['results:write']);
    expect((await searchResults(ctx.app, writer, base())).statusCode).toBe(403);
    expect((await searchResults(ctx.app, await adminToken(ctx.app), base())).statusCode).toBe(403);
  });

  it('is served by results_patient_idx', async () => {
    const plan = await ctx.db.transaction().execute(async (tx) => {
      await sql`set local enable_seqscan = off`.execute(tx);
      return patientResultsQuery(tx, {
        patientKey: 'f'.repeat(64),
        itemCodes: [world.ct],
        since: new Date('2026-01-01T00:00:00Z'),
        limit: 1000,
      }).explain();
    });
    expect(JSON.stringify(plan)).toContain('results_patient_idx');
  });
});

describe('patient identity at rest and in logs', () => {
  it('stores and logs no resident ID number the searches sent, in any spelling', async () => {
    expect(idNumbersSent.length).toBeGreaterThan(1);
    await expectIdNumbersKeptNowhere(ctx, idNumbersSent, { accessionNo: 'S-CT-NEW', path: '/v1/results/search' });
  });
});
