import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { certify, makeScope } from './helpers/factories.ts';
import { reportsWorld, type ReportsWorld } from './helpers/reports-world.ts';

let ctx: TestContext;
let admin: Record<string, string>;
let hospitals: ReportsWorld['hospitals'];

beforeAll(async () => {
  ctx = await createTestContext();
  ({ admin, hospitals } = await reportsWorld(ctx));
});
afterAll(() => ctx.close());

describe('declines, flows and certifications', () => {
  it('counts declines by code, hospital and practitioner', async () => {
    const byCode = (
      await ctx.app.inject({ url: '/v1/reports/declines?from=2026-11-20&to=2026-11-21&groupBy=code', headers: admin })
    ).json();
    // Neither decline had an advisory behind it (no emergency, no condition change in the check context).
    expect(byCode.totals).toEqual({ declines: 2, flagged: 2 });
    expect(byCode.rows.map((r: { key: string }) => r.key).sort()).toEqual(['D1_CONDITION_CHANGED', 'D8_NO_REFERENCE_VALUE']);
    const byPractitioner = (
      await ctx.app.inject({ url: '/v1/reports/declines?from=2026-11-20&to=2026-11-21&groupBy=practitioner', headers: admin })
    ).json();
    expect(byPractitioner.rows).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: `${hospitals.ningbo.id}/DR-ningbo`, declines: 1, flagged: 1 })]),
    );
  });

  it('gives the same declines from whole months as from days', async () => {
    const get = async (groupBy: string) =>
      (await ctx.app.inject({ url: `/v1/reports/declines?from=2026-10-15&to=2026-12-15&groupBy=${groupBy}`, headers: admin })).json();
    // By reason and by hospital read November from the monthly table; by practitioner, every day.
    const [byCode, byHospital, byPractitioner] = [await get('code'), await get('hospital'), await get('practitioner')];
    expect(byCode.totals).toEqual(byPractitioner.totals);
    expect(byHospital.totals).toEqual(byPractitioner.totals);
    expect(byCode.totals.declines).toBeGreaterThan(0);
  });

  it('lists issuer → receiver flows', async () => {
    const flows = (await ctx.app.inject({ url: '/v1/reports/flows?from=2026-11-20&to=2026-11-21', headers: admin })).json().rows;
    expect(flows).toEqual(
      expect.arrayContaining([
        {
          issuerId: hospitals.issuer.id,
          issuerName: 'issuer hospital',
          receiverId: hospitals.wenzhou.id,
          receiverName: 'wenzhou hospital',
          recognitions: 2,
          yuan: 320,
        },
        {
          issuerId: hospitals.issuer.id,
          issuerName: 'issuer hospital',
          receiverId: hospitals.ningbo.id,
          receiverName: 'ningbo hospital',
          recognitions: 2,
          yuan: 268,
        },
      ]),
    );
  });

  it('lists the flows into or out of one hospital, and into one city', async () => {
    const flows = async (query: string, auth = admin) =>
      (await ctx.app.inject({ url: `/v1/reports/flows?from=2026-11-20&to=2026-11-21&${query}`, headers: auth })).json();
    const all = (await flows('')).rows;
    const wenzhou = await flows(`hospitalId=${hospitals.wenzhou.id}`);
    expect(wenzhou.rows).toEqual(
      all.filter((r: { issuerId: string; receiverId: string }) => [r.issuerId, r.receiverId].includes(hospitals.wenzhou.id)),
    );
    expect(wenzhou.rows.length).toBeGreaterThan(0);
    expect(wenzhou.pairs).toBe(wenzhou.rows.length);
    // The issuer's flows go out of it: every pair.
    expect((await flows(`hospitalId=${hospitals.issuer.id}`)).rows).toEqual(all);
    expect((await flows('city=Ningbo')).rows).toEqual(all.filter((r: { receiverId: string }) => r.receiverId === hospitals.ningbo.id));
    // A hospital client sees its own flows only.
    expect((await flows('', hospitals.ningbo.auth)).rows).toEqual(
      all.filter((r: { receiverId: string }) => r.receiverId === hospitals.ningbo.id),
    );
  });

  it('gives the same flows from whole months as from days', async () => {
    const flows = async (from: string, to: string) =>
      (await ctx.app.inject({ url: `/v1/reports/flows?from=${from}&to=${to}`, headers: admin })).json().rows;
    const byDays = await flows('2026-11-20', '2026-11-21');
    expect(await flows('2026-11-01', '2026-11-30')).toEqual(byDays);
    expect(await flows('2026-10-31', '2026-12-01')).toEqual(byDays);
    expect(await flows('2026-11-21', '2026-12-31')).toEqual(
      expect.arrayContaining([expect.objectContaining({ receiverId: hospitals.wenzhou.id, recognitions: 2 })]),
    );
  });

  it('gives the same figures from a month less some days as from the days themselves', async () => {
    const get = async (path: string) => (await ctx.app.inject({ url: `/v1/reports/${path}`, headers: admin })).json();
    const reports = [
      'savings?groupBy=item',
      'savings?groupBy=receiving-hospital',
      'savings?groupBy=month',
      'declines?groupBy=code',
      'declines?groupBy=practitioner',
      'flows?',
    ];
    // Equal periods: 1 October–20 November reads November less 21-30 November; 4-30 November reads
    // November less its first three days; 21 November–31 December reads 21-30 November day by day.
    // Flows and declines by practitioner also read years: 1 January-20 November is 2026 less 21 November-31 December.
    for (const [monthsLessDays, days] of [
      ['from=2026-10-01&to=2026-11-20', 'from=2026-11-20&to=2026-11-20'],
      ['from=2026-11-04&to=2026-11-30', 'from=2026-11-20&to=2026-11-21'],
      ['from=2026-11-21&to=2026-12-31', 'from=2026-11-21&to=2026-11-21'],
      ['from=2026-01-01&to=2026-11-20', 'from=2026-11-20&to=2026-11-20'],
      ['from=2025-12-02&to=2026-12-01', 'from=2026-11-20&to=2026-11-21'],
    ]) {
      for (const report of reports) {
        const [a, b] = [await get(`${report}&${monthsLessDays}`), await get(`${report}&${days}`)];
        // By month lists every month of the period, so only its totals compare.
        const rows = (r: { rows: unknown[] }) => (report.includes('groupBy=month') ? [] : r.rows);
        expect({ report, rows: rows(a), totals: a.totals }).toEqual({ report, rows: rows(b), totals: b.totals });
      }
    }
    // The subtracted days held figures: the declines were all after Shanghai midnight, and no hospital is listed with zero.
    expect((await get('declines?groupBy=practitioner&from=2026-10-01&to=2026-11-20')).rows).toEqual([]);
    expect((await get('declines?groupBy=practitioner&from=2026-11-04&to=2026-11-30')).totals.declines).toBeGreaterThan(0);
  });

  it('lists at most `limit` groups, the largest first, with the count and totals of all of them', async () => {
    const get = async (path: string) =>
      (await ctx.app.inject({ url: `/v1/reports/${path}&from=2026-11-20&to=2026-11-21`, headers: admin })).json();
    const all = await get('declines?groupBy=practitioner');
    expect(all.groups).toBe(all.rows.length);
    expect(all.groups).toBeGreaterThan(1);
    const top = await get('declines?groupBy=practitioner&limit=1');
    expect(top).toMatchObject({ groups: all.groups, totals: all.totals, rows: [all.rows[0]] });

    const flows = await get('flows?');
    expect(flows.pairs).toBe(flows.rows.length);
    expect(flows.pairs).toBeGreaterThan(1);
    const topFlow = await get('flows?limit=1');
    expect(topFlow).toMatchObject({ pairs: flows.pairs, rows: [flows.rows[0]] });
    expect(topFlow.rows[0].recognitions).toBe(Math.max(...flows.rows.map((r: { recognitions: number }) => r.recognitions)));

    for (const bad of ['limit=0', 'limit=100001', 'limit=ten']) {
      const response = await ctx.app.inject({ url: `/v1/reports/flows?${bad}`, headers: admin });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const none = await get('declines?groupBy=practitioner&hospitalId=NO-SUCH-HOSPITAL');
    expect(none).toMatchObject({ groups: 0, totals: { declines: 0, flagged: 0 }, rows: [] });
  });

  it('reports certification health per hospital and category', async () => {
    await certify(ctx.db, {
      hospitalId: hospitals.wenzhou.id,
      scopeId: await makeScope(ctx.db),
      category: 'ct',
      status: 'suspended',
      effectiveFrom: '2026-01-01T00:00:00Z',
    });
    const rows = (await ctx.app.inject({ url: `/v1/reports/certifications?hospitalId=${hospitals.wenzhou.id}`, headers: admin })).json()
      .rows;
    expect(rows).toEqual([
      expect.objectContaining({ category: 'all', active: 1, suspended: 0 }),
      expect.objectContaining({ category: 'ct', active: 0, suspended: 1 }),
    ]);
  });
});
