import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { createRecallReportService, type RecallReportService } from '../src/modules/recalls/report.ts';
import { recallReportRoutes } from '../src/modules/recalls/report-routes.ts';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

let ctx: TestContext;
let admin: Record<string, string>;
const auth: Record<string, Record<string, string>> = {};

// Three hospitals: A issues, B and C recognise (and B issues once, C once).
const A = 'RA-001';
const B = 'RB-002';
const C = 'RC-003';
const HOUR = 3_600_000;
// 12:00 on 2026-12-01 in Asia/Shanghai.
const now = new Date('2026-12-01T04:00:00Z');

interface RecallSeed {
  hospitalId: string;
  issuerId: string;
  cause: 'amended' | 'withdrawn' | 'certification';
  createdAt: string;
  /** Hours from the recall to its acknowledgement; none: still open. */
  acknowledgedAfterHours?: number;
}

/** A recall row written straight to the table, as the recalls module would have made it. */
async function makeRecall(db: Database, seed: RecallSeed): Promise<string> {
  const createdAt = new Date(seed.createdAt);
  const acknowledgedAt =
    seed.acknowledgedAfterHours === undefined ? null : new Date(createdAt.getTime() + seed.acknowledgedAfterHours * HOUR);
  const row = await db
    .insertInto('recalls')
    .values({
      hospital_id: seed.hospitalId,
      result_id: '01900000-0000-7000-8000-000000000000',
      issuing_hospital_id: seed.issuerId,
      accession_no: `ACC-${seed.createdAt}`,
      item_code: 'CT-HEAD',
      patient_key: 'patient-key',
      cause: seed.cause,
      result_version: seed.cause === 'certification' ? null : 2,
      certification_event_id: seed.cause === 'certification' ? 1 : null,
      recognitions: JSON.stringify([]),
      created_at: createdAt,
      acknowledged_at: acknowledgedAt,
      acknowledged_by: acknowledgedAt ? 'DR-1' : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const ids: Record<string, string> = {};

beforeAll(async () => {
  let recallReports: RecallReportService | undefined;
  ctx = await createTestContext(
    {},
    {
      // Served by the app itself once registered there; otherwise added here over the test's database and clock.
      extend: async (app) => {
        if (app.hasRoute({ method: 'GET', url: '/v1/reports/recalls' })) return;
        await app.register(recallReportRoutes, { recallReports: { report: (actor, query) => recallReports!.report(actor, query) } });
      },
    },
  );
  recallReports = createRecallReportService({ db: ctx.db, clock: ctx.clock });
  ctx.clock.set(now);
  admin = bearer(await adminToken(ctx.app));
  for (const [id, name] of [
    [A, 'Issuer hospital'],
    [B, 'Second hospital'],
    [C, 'Third hospital'],
  ]) {
    await makeHospital(ctx.db, { id, name });
    const client = await makeHospitalClient(ctx.db, id);
    auth[id] = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
  }
  // The period 2026-11-25..2026-12-01 holds the first six; hours to acknowledge 2, 4, 10 and 1.
  ids.amendedB1 = await makeRecall(ctx.db, {
    hospitalId: B,
    issuerId: A,
    cause: 'amended',
    createdAt: '2026-11-26T02:00:00Z',
    acknowledgedAfterHours: 2,
  });
  ids.amendedB2 = await makeRecall(ctx.db, {
    hospitalId: B,
    issuerId: A,
    cause: 'amended',
    createdAt: '2026-11-27T02:00:00Z',
    acknowledgedAfterHours: 4,
  });
  ids.withdrawnC = await makeRecall(ctx.db, {
    hospitalId: C,
    issuerId: A,
    cause: 'withdrawn',
    createdAt: '2026-11-28T02:00:00Z',
    acknowledgedAfterHours: 10,
  });
  ids.certificationC = await makeRecall(ctx.db, { hospitalId: C, issuerId: B, cause: 'certification', createdAt: '2026-11-29T02:00:00Z' });
  ids.amendedB3 = await makeRecall(ctx.db, { hospitalId: B, issuerId: C, cause: 'amended', createdAt: '2026-11-30T02:00:00Z' });
  // 00:00 and 23:59 in Shanghai: the first day of the period, and the day before it.
  ids.firstMinute = await makeRecall(ctx.db, {
    hospitalId: B,
    issuerId: A,
    cause: 'withdrawn',
    createdAt: '2026-11-24T16:00:00Z',
    acknowledgedAfterHours: 1,
  });
  ids.dayBefore = await makeRecall(ctx.db, {
    hospitalId: C,
    issuerId: B,
    cause: 'amended',
    createdAt: '2026-11-24T15:59:00Z',
    acknowledgedAfterHours: 30,
  });
  // Long before the period, and still open: stale whatever the period.
  ids.old = await makeRecall(ctx.db, { hospitalId: C, issuerId: A, cause: 'amended', createdAt: '2026-11-10T02:00:00Z' });
});

afterAll(async () => {
  await ctx?.close();
});

const report = (query: string, headers: Record<string, string> = admin) => ctx.app.inject({ url: `/v1/reports/recalls?${query}`, headers });
const period = 'from=2026-11-25&to=2026-12-01';

describe('GET /v1/reports/recalls', () => {
  it('needs a token with admin or reports:read', async () => {
    expect((await ctx.app.inject({ url: '/v1/reports/recalls' })).statusCode).toBe(401);
    const writer = await makeHospitalClient(ctx.db, A, ['results:write']);
    const response = await report(period, bearer(await tokenFor(ctx.app, writer.clientId, writer.clientSecret)));
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('counts the period’s recalls for the province, with exact medians and percentiles', async () => {
    const response = await report(period);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      from: '2026-11-25',
      to: '2026-12-01',
      staleDays: 7,
      asOf: now.toISOString(),
      totals: {
        recalls: 6,
        acknowledged: 4,
        open: 2,
        // Hours 1, 2, 4, 10.
        medianHoursToAcknowledge: 3,
        p90HoursToAcknowledge: 8.2,
        openOlderThanStaleDays: 1,
      },
      byCause: [
        { cause: 'amended', recalls: 3, acknowledged: 2, open: 1, medianHoursToAcknowledge: 3 },
        { cause: 'withdrawn', recalls: 2, acknowledged: 2, open: 0, medianHoursToAcknowledge: 5.5 },
        { cause: 'certification', recalls: 1, acknowledged: 0, open: 1, medianHoursToAcknowledge: null },
      ],
      byIssuer: [
        { key: A, label: 'Issuer hospital', recalls: 4, acknowledged: 4, open: 0, medianHoursToAcknowledge: 3 },
        { key: B, label: 'Second hospital', recalls: 1, acknowledged: 0, open: 1, medianHoursToAcknowledge: null },
        { key: C, label: 'Third hospital', recalls: 1, acknowledged: 0, open: 1, medianHoursToAcknowledge: null },
      ],
      byHospital: [
        { key: B, label: 'Second hospital', recalls: 4, acknowledged: 3, open: 1, medianHoursToAcknowledge: 2 },
        { key: C, label: 'Third hospital', recalls: 2, acknowledged: 1, open: 1, medianHoursToAcknowledge: 10 },
      ],
      stale: [
        {
          recallId: ids.old,
          hospitalId: C,
          issuingHospitalId: A,
          accessionNo: 'ACC-2026-11-10T02:00:00Z',
          itemCode: 'CT-HEAD',
          cause: 'amended',
          createdAt: '2026-11-10T02:00:00.000Z',
          ageDays: 21,
        },
      ],
    });
  });

  it('lists the oldest open recalls older than staleDays, whatever the period', async () => {
    const body = (await report('from=2026-12-01&to=2026-12-01&staleDays=2')).json();
    expect(body.totals).toMatchObject({
      recalls: 0,
      acknowledged: 0,
      open: 0,
      medianHoursToAcknowledge: null,
      p90HoursToAcknowledge: null,
    });
    expect(body.totals.openOlderThanStaleDays).toBe(2);
    expect(body.stale.map((r: { recallId: string; ageDays: number }) => [r.recallId, r.ageDays])).toEqual([
      [ids.old, 21],
      [ids.certificationC, 2],
    ]);
    expect(body.byCause.map((c: { recalls: number }) => c.recalls)).toEqual([0, 0, 0]);
    expect(body).toMatchObject({ byIssuer: [], byHospital: [] });
    const moved = (await report('staleDays=1')).json();
    expect(moved.stale.map((r: { recallId: string }) => r.recallId)).toEqual([ids.old, ids.certificationC, ids.amendedB3]);
  });

  it('counts Asia/Shanghai days and defaults to the 30 days up to today', async () => {
    const dayBefore = (await report('from=2026-11-24&to=2026-11-24')).json();
    expect(dayBefore.totals).toMatchObject({ recalls: 1, acknowledged: 1, medianHoursToAcknowledge: 30, p90HoursToAcknowledge: 30 });
    const byDefault = (await report('')).json();
    expect(byDefault).toMatchObject({ from: '2026-11-02', to: '2026-12-01', totals: { recalls: 8, acknowledged: 5, open: 3 } });
  });

  it('filters by recognising hospital and by issuer', async () => {
    const atB = (await report(`${period}&hospitalId=${B}`)).json();
    expect(atB.totals).toMatchObject({ recalls: 4, acknowledged: 3, medianHoursToAcknowledge: 2, openOlderThanStaleDays: 0 });
    expect(atB.byHospital.map((g: { key: string }) => g.key)).toEqual([B]);
    const ofA = (await report(`${period}&issuerId=${A}`)).json();
    expect(ofA.totals).toMatchObject({ recalls: 4, acknowledged: 4, openOlderThanStaleDays: 1 });
    expect(ofA.byIssuer.map((g: { key: string }) => g.key)).toEqual([A]);
    const both = (await report(`${period}&hospitalId=${C}&issuerId=${A}`)).json();
    expect(both.totals).toMatchObject({ recalls: 1, acknowledged: 1, medianHoursToAcknowledge: 10 });
    const nobody = (await report(`${period}&hospitalId=NO-SUCH-HOSPITAL`)).json();
    expect(nobody).toMatchObject({ totals: { recalls: 0, openOlderThanStaleDays: 0 }, byIssuer: [], byHospital: [], stale: [] });
  });

  it('shows a hospital the recalls made to it and those of its own results, and nothing else', async () => {
    const atB = (await report(period, auth[B])).json();
    expect(atB.totals).toEqual({
      recalls: 5,
      acknowledged: 3,
      open: 2,
      // Hours 1, 2, 4.
      medianHoursToAcknowledge: 2,
      p90HoursToAcknowledge: 3.6,
      openOlderThanStaleDays: 0,
    });
    expect(atB.byIssuer.map((g: { key: string; recalls: number }) => [g.key, g.recalls])).toEqual([
      [A, 3],
      [B, 1],
      [C, 1],
    ]);
    expect(atB.byHospital.map((g: { key: string; recalls: number }) => [g.key, g.recalls])).toEqual([
      [B, 4],
      [C, 1],
    ]);
    // Naming another hospital narrows what the client may see; it never widens it.
    expect((await report(`${period}&issuerId=${C}`, auth[B])).json().totals.recalls).toBe(1);
    expect((await report(`${period}&hospitalId=${C}`, auth[B])).json().byIssuer.map((g: { key: string }) => g.key)).toEqual([B]);
    expect((await report(`${period}&hospitalId=${C}&issuerId=${A}`, auth[B])).json().totals.recalls).toBe(0);

    // The issuer alone: the recalls of its results, the stale one included.
    const atA = (await report(period, auth[A])).json();
    expect(atA.totals).toMatchObject({ recalls: 4, acknowledged: 4, openOlderThanStaleDays: 1 });
    expect(atA.byHospital.map((g: { key: string; recalls: number }) => [g.key, g.recalls])).toEqual([
      [B, 3],
      [C, 1],
    ]);
    expect(atA.stale.map((r: { recallId: string }) => r.recallId)).toEqual([ids.old]);
    const atC = (await report('staleDays=30', auth[C])).json();
    expect(atC.stale).toEqual([]);
  });

  it.each([
    // The period's own rules (the service), then the schema's (the framework, under `querystring`).
    ['from=2026-12-02&to=2026-12-01', 'from'],
    ['from=2023-01-01&to=2026-12-01', 'from'],
    ['from=2026-13-01', 'querystring.from'],
    ['to=yesterday', 'querystring.to'],
    ['staleDays=0', 'querystring.staleDays'],
    ['staleDays=1.5', 'querystring.staleDays'],
    ['staleDays=seven', 'querystring.staleDays'],
    ['staleDays=3651', 'querystring.staleDays'],
    ['hospitalId=%20bad', 'querystring.hospitalId'],
    ['issuerId=a%2Fb', 'querystring.issuerId'],
  ])('refuses %s with a problem naming %s', async (query, field) => {
    const response = await report(query);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({ status: 400, type: expect.stringMatching(/validation$/) });
    expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
  });
});
