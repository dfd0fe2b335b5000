import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, bearer } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital } from './helpers/factories.ts';
import { ctSubmission, putResult, residentId, resultsWorld } from './helpers/results.ts';

let ctx: TestContext;
let world: Awaited<ReturnType<typeof resultsWorld>>;
let admin: string;
const patientOne = residentId('19600101');
const patientTwo = residentId('19700101');

interface AuditEventBody {
  id: number;
  occurredAt: string;
  action: string;
  clientId: string;
  hospitalId: string | null;
  practitionerId: string | null;
  purpose: string | null;
  checkId: string | null;
  resultIds: string[];
}

function search(token: string, idNumber: string, practitionerId: string) {
  return ctx.app.inject({
    method: 'POST',
    url: '/v1/results/search',
    headers: bearer(token),
    payload: { patient: { idType: 'resident_id', idNumber }, practitionerId, purpose: 'treatment' },
  });
}

function list(query: Record<string, string | number> = {}, token = admin) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return ctx.app.inject({ url: `/v1/audit-events${qs ? `?${qs}` : ''}`, headers: bearer(token) });
}

function patientEvents(payload: Record<string, unknown>, token = admin) {
  return ctx.app.inject({ method: 'POST', url: '/v1/audit-events/search', headers: bearer(token), payload });
}

beforeAll(async () => {
  ctx = await createTestContext();
  world = await resultsWorld(ctx.app, ctx.db);
  admin = await adminToken(ctx.app);
  ctx.clock.set('2026-11-29T02:00:00Z');
  expect((await putResult(ctx.app, world.tokenA, 'AUD-1', ctSubmission(patientOne, world.ct))).statusCode).toBe(201);
  expect((await putResult(ctx.app, world.tokenB, 'AUD-2', ctSubmission(patientTwo, world.ct))).statusCode).toBe(201);
  // Five searches, one minute apart: A, B, A for patient one; B, A for patient two.
  const searches: [string, string, string][] = [
    [world.tokenA, patientOne, 'DR-A1'],
    [world.tokenB, patientOne, 'DR-B1'],
    [world.tokenA, patientOne, 'DR-A2'],
    [world.tokenB, patientTwo, 'DR-B2'],
    [world.tokenA, patientTwo, 'DR-A3'],
  ];
  for (const [token, idNumber, practitioner] of searches) {
    ctx.clock.advance(60_000);
    expect((await search(token, idNumber, practitioner)).statusCode).toBe(200);
  }
  ctx.clock.release();
});
afterAll(() => ctx.close());

describe('GET /v1/audit-events', () => {
  it('lists events newest first, without the patient key', async () => {
    const response = await list();
    expect(response.statusCode).toBe(200);
    const { events, nextCursor } = response.json<{ events: AuditEventBody[]; nextCursor: string | null }>();
    expect(nextCursor).toBeNull();
    expect(events.map((e) => e.practitionerId)).toEqual(['DR-A3', 'DR-B2', 'DR-A2', 'DR-B1', 'DR-A1']);
    expect(events[0]).toEqual({
      id: expect.any(Number),
      occurredAt: '2026-11-29T02:05:00.000Z',
      action: 'results.search',
      clientId: expect.stringMatching(new RegExp(`^${world.hospitalA}-client-`)),
      hospitalId: world.hospitalA,
      practitionerId: 'DR-A3',
      purpose: 'treatment',
      checkId: null,
      resultIds: [expect.stringMatching(/^[0-9a-f-]{36}$/)],
      outcome: 'success',
      outcomeDetail: null,
      query: { itemCodes: null, since: null, cursor: null },
      sourceAddress: '127.0.0.1',
      requestId: expect.any(String),
    });
    const [patientTwoResult] = await ctx.db.selectFrom('results').select('id').where('accession_no', '=', 'AUD-2').execute();
    expect(events[0].resultIds).toEqual([patientTwoResult.id]);
    expect(response.body).not.toMatch(/[0-9a-f]{64}/);
  });

  it('filters by hospital and by a [since, until) window', async () => {
    const byB = await list({ hospitalId: world.hospitalB });
    expect(byB.json().events.map((e: AuditEventBody) => e.practitionerId)).toEqual(['DR-B2', 'DR-B1']);
    const window = await list({ since: '2026-11-29T10:02:00+08:00', until: '2026-11-29T02:04:00Z' });
    expect(window.json().events.map((e: AuditEventBody) => e.practitionerId)).toEqual(['DR-A2', 'DR-B1']);
    const nobody = await list({ hospitalId: await makeHospital(ctx.db) });
    expect(nobody.json()).toEqual({ events: [], nextCursor: null });
  });

  it('pages with an opaque cursor, every event exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await list({ limit: 2, ...(cursor ? { cursor } : {}) });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ events: AuditEventBody[]; nextCursor: string | null }>();
      seen.push(...page.events.map((e) => e.practitionerId!));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['DR-A3', 'DR-B2', 'DR-A2', 'DR-B1', 'DR-A1']);
  });

  it('keeps events that differ by microseconds apart across pages', async () => {
    const hospitalId = await makeHospital(ctx.db);
    // Written by SQL with microsecond timestamps, as other modules' default now() would.
    for (const at of [
      '2026-01-01T00:00:00.000003Z',
      '2026-01-01T00:00:00.000001Z',
      '2026-01-01T00:00:00.000002Z',
      '2026-01-01T00:00:00.000002Z',
    ]) {
      await ctx.db
        .insertInto('audit_events')
        .values({ occurred_at: at, action: 'results.search', client_id: 'test', hospital_id: hospitalId, result_ids: [] })
        .execute();
    }
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await list({ hospitalId, limit: 1, ...(cursor ? { cursor } : {}) });
      const page = response.json<{ events: AuditEventBody[]; nextCursor: string | null }>();
      ids.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
  });

  it('rejects a cursor it did not issue and bad parameters (400)', async () => {
    for (const query of [{ cursor: 'not-a-cursor' }, { cursor: Buffer.from('{"at":"x","id":1}').toString('base64url') }]) {
      const response = await list(query);
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].field).toBe('cursor');
    }
    const badLimit = await list({ limit: 0 });
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json().errors[0].field).toBe('querystring.limit');
    const badSince = await list({ since: '2026-11-29' });
    expect(badSince.json().errors[0].field).toBe('querystring.since');
  });

  it('is for administrators only', async () => {
    expect((await ctx.app.inject('/v1/audit-events')).statusCode).toBe(401);
    expect((await list({}, world.tokenA)).statusCode).toBe(403);
    expect((await patientEvents({ patient: { idType: 'resident_id', idNumber: patientOne } }, world.tokenA)).statusCode).toBe(403);
  });
});

describe('POST /v1/audit-events/search', () => {
  it('answers one patient’s access history and records the look-up', async () => {
    const response = await patientEvents({ patient: { idType: 'resident_id', idNumber: patientOne.toLowerCase() } });
    expect(response.statusCode).toBe(200);
    const { events } = response.json<{ events: AuditEventBody[] }>();
    expect(events.map((e) => [e.practitionerId, e.hospitalId])).toEqual([
      ['DR-A2', world.hospitalA],
      ['DR-B1', world.hospitalB],
      ['DR-A1', world.hospitalA],
    ]);
    const again = await patientEvents({ patient: { idType: 'resident_id', idNumber: patientOne }, limit: 1 });
    const page = again.json<{ events: AuditEventBody[]; nextCursor: string | null }>();
    expect(page.events[0]).toMatchObject({ action: 'audit.search', hospitalId: null, practitionerId: null });
    expect(page.nextCursor).toEqual(expect.any(String));
    const windowed = await patientEvents({
      patient: { idType: 'resident_id', idNumber: patientOne },
      since: '2026-11-29T02:02:00Z',
      until: '2026-11-29T02:03:00Z',
    });
    expect(windowed.json().events.map((e: AuditEventBody) => e.practitionerId)).toEqual(['DR-B1']);
  });

  it('validates the patient and keeps identifiers out of the URL and the logs', async () => {
    const bad = await patientEvents({ patient: { idType: 'resident_id', idNumber: '330106198001011230' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('patient.idNumber');
    const inQuery = await list({ idNumber: patientOne });
    expect(inQuery.statusCode).toBe(200); // unknown query keys are ignored, never matched
    expect(ctx.logs()).not.toContain(patientOne);
  });
});
