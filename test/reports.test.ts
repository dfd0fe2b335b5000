import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchUp } from '../src/modules/reports/index.ts';
import { drainOnce, rebuildAggregates } from '../src/modules/reports/aggregator.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospitalClient } from './helpers/factories.ts';
import { afterMidnight, reportsWorld, type ReportsWorld } from './helpers/reports-world.ts';

let ctx: TestContext;
let admin: Record<string, string>;
let hospitals: ReportsWorld['hospitals'];
let ct: string;
let scenario: ReportsWorld['scenario'];
let sendDecisions: ReportsWorld['sendDecisions'];

beforeAll(async () => {
  ctx = await createTestContext();
  ({ admin, hospitals, ct, scenario, sendDecisions } = await reportsWorld(ctx));
});
afterAll(() => ctx.close());

const savings = (query: string, headers = admin) =>
  ctx.app.inject({ url: `/v1/reports/savings?from=2026-11-20&to=2026-11-21&${query}`, headers });

describe('savings report', () => {
  it('totals the log: recognitions, savings at the receiver’s tier, rates and patients', async () => {
    const { totals } = (await savings('groupBy=day')).json();
    expect(totals).toMatchObject({
      checks: 6,
      checksWithRecognizable: 6,
      recognitions: 4,
      declines: 2,
      flaggedDeclines: 2,
      yuan: 250 + 18 + 300 + 20,
      minutes: 60 + 30 + 60 + 30,
      radiationMsv: 14,
      patients: 3,
    });
    expect(totals.recognitionRate).toBeCloseTo(4 / 6, 4);
    expect(totals.minutesPerPatient).toBe(60);
  });

  it('splits days at Asia/Shanghai midnight', async () => {
    const rows = (await savings('groupBy=day')).json().rows;
    expect(rows.map((r: { key: string }) => r.key)).toEqual(['2026-11-20', '2026-11-21']);
    expect(rows[0]).toMatchObject({ checks: 2, recognitions: 2, yuan: 268 });
    expect(rows[1]).toMatchObject({ checks: 4, recognitions: 2, declines: 2, yuan: 320 });
  });

  it('groups by receiving hospital with its name as label, and by item and city', async () => {
    const byHospital = (await savings('groupBy=receiving-hospital')).json().rows;
    expect(byHospital).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: hospitals.wenzhou.id, label: 'wenzhou hospital', recognitions: 2, yuan: 320 }),
        expect.objectContaining({
          key: hospitals.ningbo.id,
          label: 'ningbo hospital',
          recognitions: 2,
          yuan: 268,
          recognitionRate: 0.6667,
        }),
      ]),
    );
    const byItem = (await savings('groupBy=item')).json().rows;
    expect(byItem.find((r: { key: string }) => r.key === ct)).toMatchObject({ checks: 3, recognitions: 2, radiationMsv: 14 });
    const byCity = (await savings('groupBy=city&city=Ningbo')).json().rows;
    expect(byCity).toEqual([expect.objectContaining({ key: 'Ningbo', recognitions: 2 })]);
    const byIssuer = (await savings('groupBy=issuing-hospital')).json().rows;
    expect(byIssuer).toEqual([
      expect.objectContaining({ key: hospitals.issuer.id, recognitions: 4, checks: 6, checksWithRecognizable: 6 }),
    ]);
  });

  it('answers the same from the roll-ups and from the fine aggregates', async () => {
    // By item for the province reads the roll-up; by item for one hospital reads the fine aggregates.
    const province = (await savings('groupBy=item')).json().rows;
    const perHospital = await Promise.all(
      [hospitals.ningbo.id, hospitals.wenzhou.id].map(async (id) => (await savings(`groupBy=item&hospitalId=${id}`)).json().rows),
    );
    for (const row of province) {
      const parts = perHospital.flat().filter((r: { key: string }) => r.key === row.key);
      expect(parts.reduce((sum: number, r: { yuan: number }) => sum + r.yuan, 0)).toBeCloseTo(row.yuan, 2);
      expect(parts.reduce((sum: number, r: { checks: number }) => sum + r.checks, 0)).toBe(row.checks);
    }
  });

  it('gives the same savings from whole months as from days', async () => {
    const get = async (query: string) =>
      (await ctx.app.inject({ url: `/v1/reports/savings?from=2026-10-15&to=2026-12-15&${query}`, headers: admin })).json();
    // By day reads the daily roll-up only; by item reads November from the monthly one.
    const [byDay, byItem] = [await get('groupBy=day'), await get('groupBy=item')];
    const sum = (rows: Record<string, number>[], field: string) => rows.reduce((total, r) => total + r[field], 0);
    for (const field of ['checks', 'checksWithRecognizable', 'recognitions', 'declines', 'minutes']) {
      expect(sum(byItem.rows, field)).toBe(sum(byDay.rows, field));
      expect(byItem.totals[field]).toBe(sum(byDay.rows, field));
    }
    // Patient-days add up over days, not over items (one patient, two items, one day: one patient-day).
    expect(byItem.totals.patients).toBe(sum(byDay.rows, 'patients'));
    expect(sum(byItem.rows, 'yuan')).toBeCloseTo(sum(byDay.rows, 'yuan'), 2);
    expect(byDay.totals.recognitions).toBeGreaterThan(0);
  });

  it('shows a hospital its own figures only', async () => {
    const own = (await savings('groupBy=day', hospitals.ningbo.auth)).json();
    expect(own.totals).toMatchObject({ recognitions: 2, yuan: 268 });
    expect((await savings(`groupBy=day&hospitalId=${hospitals.wenzhou.id}`, hospitals.ningbo.auth)).statusCode).toBe(403);
    const writer = await makeHospitalClient(ctx.db, hospitals.ningbo.id, ['results:write']);
    expect((await savings('groupBy=day', bearer(await tokenFor(ctx.app, writer.clientId, writer.clientSecret)))).statusCode).toBe(403);
  });

  it('answers CSV that parses back to the same numbers', async () => {
    const json = (await savings('groupBy=receiving-hospital')).json();
    const csv = await ctx.app.inject({
      url: '/v1/reports/savings?from=2026-11-20&to=2026-11-21&groupBy=receiving-hospital',
      headers: { ...admin, accept: 'text/csv' },
    });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...lines] = csv.body
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(','));
    expect(header.slice(0, 3)).toEqual(['key', 'label', 'checks']);
    const parsed = lines.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
    for (const row of json.rows) {
      const line = parsed.find((p) => p.key === row.key)!;
      expect(Number(line.yuan)).toBe(row.yuan);
      expect(Number(line.recognitions)).toBe(row.recognitions);
      expect(Number(line.checks)).toBe(row.checks);
    }
  });

  it('rejects bad periods and groupings', async () => {
    expect((await ctx.app.inject({ url: '/v1/reports/savings?from=2026-11-22&to=2026-11-20', headers: admin })).statusCode).toBe(400);
    expect((await ctx.app.inject({ url: '/v1/reports/savings?groupBy=planet', headers: admin })).statusCode).toBe(400);
    expect((await ctx.app.inject({ url: '/v1/reports/savings?from=2020-01-01&to=2026-11-20', headers: admin })).statusCode).toBe(400);
  });

  it('counts the recognition rate on the check’s day, by issuer for one hospital as for all', async () => {
    // Two Ningbo checks at 23:30 on 1 December in Shanghai, recognised after midnight; a third after midnight, undecided.
    const recognised = (c: Map<string, string[]>) => [{ resultId: c.get(ct)![0], action: 'recognized' }];
    const late = [
      await scenario('ningbo', 5, new Date('2026-12-01T15:30:00Z'), [ct], recognised),
      await scenario('ningbo', 6, new Date('2026-12-01T15:30:00Z'), [ct], recognised),
    ];
    await scenario('ningbo', 7, new Date('2026-12-01T16:20:00Z'), [ct], () => []);
    ctx.clock.set('2026-12-01T16:30:00Z');
    for (const run of late) expect((await sendDecisions('ningbo', run)).statusCode).toBe(201);
    await catchUp(ctx.db);
    ctx.clock.set('2026-12-03T04:00:00Z');
    const byIssuer = async (day: string, query: string, headers = admin) =>
      (await ctx.app.inject({ url: `/v1/reports/savings?from=${day}&to=${day}&groupBy=issuing-hospital${query}`, headers })).json();
    for (const [day, rate, recognitions] of [
      ['2026-12-01', 1, 0],
      ['2026-12-02', 0, 2],
    ] as const) {
      // Every receiver, from the roll-ups; one receiver, for an administrator and for the hospital itself, from the fine aggregates.
      const answers = [
        await byIssuer(day, ''),
        await byIssuer(day, `&hospitalId=${hospitals.ningbo.id}`),
        await byIssuer(day, '', hospitals.ningbo.auth),
      ];
      for (const { rows, totals } of answers) {
        expect(rows).toEqual([expect.objectContaining({ key: hospitals.issuer.id, recognitionRate: rate, recognitions })]);
        expect(totals).toMatchObject({ recognitionRate: rate, recognitions });
      }
    }
  });

  it('keeps aggregates equal to a recount from the log', async () => {
    const tables = [
      'agg_check_items',
      'agg_issuer_candidates',
      'agg_decisions',
      'agg_declines',
      'agg_recognized_patients',
      'agg_patient_days',
      'agg_flow_months',
      'agg_flow_years',
      'agg_flow_month_issuers',
      'agg_flow_year_issuers',
      'agg_decline_months',
      'agg_practitioner_months',
      'agg_practitioner_years',
      'agg_pending',
    ] as const;
    const snapshot = async () => {
      const out: Record<string, unknown[]> = {};
      for (const table of tables) out[table] = (await ctx.db.selectFrom(table).selectAll().execute()).map((r) => JSON.stringify(r)).sort();
      return out;
    };
    const rollup = async () => [
      ...(await sql`select * from agg_rollup order by dimension, local_day, dim_value`.execute(ctx.db)).rows,
      ...(await sql`select * from agg_rollup_months order by dimension, month, dim_value`.execute(ctx.db)).rows,
    ];
    // The queue counted a few entries at a time, as the aggregator would under load.
    while ((await drainOnce(ctx.db, 3)) > 0);
    const incremental = await snapshot();
    expect(incremental.agg_pending).toEqual([]);
    const incrementalRollup = await rollup();
    expect(incrementalRollup.length).toBeGreaterThan(0);
    await rebuildAggregates(ctx.db);
    expect(await snapshot()).toEqual(incremental);
    expect(await rollup()).toEqual(incrementalRollup);
  });
});

describe('what-if', () => {
  it('replays the period under a draft and writes nothing', async () => {
    const before = await ctx.db.selectFrom('recognition_decisions').select('id').execute();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/reports/what-if',
      headers: admin,
      payload: { from: '2026-11-20', to: '2026-11-21', draft: { items: { [ct]: { negativeList: true } } } },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      checks: 4,
      checkItems: 6,
      current: { checkItemsWithRecognizable: 6 },
      draft: { checkItemsWithRecognizable: 3 },
    });
    expect(body.delta).toMatchObject({ checkItemsWithRecognizable: -3, radiationMsv: -21 });
    expect(body.byItem.find((i: { itemCode: string }) => i.itemCode === ct)).toMatchObject({ checkItemsWithRecognizable: -3 });
    expect(await ctx.db.selectFrom('recognition_decisions').select('id').execute()).toHaveLength(before.length);
    const forbidden = await ctx.app.inject({
      method: 'POST',
      url: '/v1/reports/what-if',
      headers: hospitals.ningbo.auth,
      payload: { from: '2026-11-20', to: '2026-11-21', draft: {} },
    });
    expect(forbidden.statusCode).toBe(403);
    const unknown = await ctx.app.inject({
      method: 'POST',
      url: '/v1/reports/what-if',
      headers: admin,
      payload: { from: '2026-11-20', to: '2026-11-21', draft: { items: { NOPE: { validityDays: 3 } } } },
    });
    expect(unknown.statusCode).toBe(400);
  });
});

describe('what-if on the registry as it stands', () => {
  it('knows an item and a rule setting changed since its last replay', async () => {
    const whatIf = (draft: object) =>
      ctx.app.inject({
        method: 'POST',
        url: '/v1/reports/what-if',
        headers: admin,
        payload: { from: '2026-11-20', to: '2026-11-21', draft },
      });
    expect((await whatIf({})).statusCode).toBe(200);
    const item = { name: 'MRI knee', category: 'mri', validityDays: 30, prices: { T1: 500 }, minutesSaved: 60 };
    expect((await ctx.app.inject({ method: 'PUT', url: '/v1/items/MRI-KNEE-WI', headers: admin, payload: item })).statusCode).toBe(201);
    const settings = await ctx.app.inject({ method: 'PUT', url: '/v1/settings/rules', headers: admin, payload: { lookbackDays: 300 } });
    expect(settings.statusCode, settings.body).toBe(200);
    const replay = await whatIf({ items: { 'MRI-KNEE-WI': { validityDays: 14 } } });
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json().ruleSetVersion).toBe(settings.json().version);
  });
});

describe('freshness', () => {
  it('reads without writing: what the aggregator has not counted yet is left out, and said so', async () => {
    const before = (await savings('groupBy=day')).json();
    expect(before.freshness).toEqual({ uncounted: 0, oldestUncountedSeconds: 0 });
    await scenario('ningbo', 9, afterMidnight, [ct], () => []);
    const stale = (await savings('groupBy=day')).json();
    expect(stale.totals.checks).toBe(before.totals.checks);
    // The age comes from the entry's time-ordered id, the database's clock, not this test's pinned one.
    expect(stale.freshness).toEqual({ uncounted: 1, oldestUncountedSeconds: expect.any(Number) });
    await catchUp(ctx.db);
    ctx.clock.set('2026-11-22T04:00:00Z');
    const fresh = (await savings('groupBy=day')).json();
    expect(fresh.totals.checks).toBe(before.totals.checks + 1);
    expect(fresh.freshness.uncounted).toBe(0);
  });
});
