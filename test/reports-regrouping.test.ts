import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildAggregates } from '../src/modules/reports/aggregator.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { reportsWorld, type ReportsWorld } from './helpers/reports-world.ts';

/**
 * A hospital's city and an item's category change after their checks were counted: every report
 * groups them as they are now, whether it reads the roll-ups or the fine aggregates, and a rebuild
 * from the log finds the same aggregates.
 */
let ctx: TestContext;
let world: ReportsWorld;
beforeAll(async () => {
  ctx = await createTestContext();
  world = await reportsWorld(ctx);
});
afterAll(() => ctx.close());

type Row = { key: string; checks: number; recognitions: number; declines: number; yuan: number; patients: number };
const savings = async (query: string) =>
  (await ctx.app.inject({ url: `/v1/reports/savings?from=2026-11-20&to=2026-11-21&${query}`, headers: world.admin })).json<{
    rows: Row[];
    totals: Row;
  }>();
const figures = (row: Row) => [row.checks, row.recognitions, row.declines, row.yuan, row.patients];
const byKey = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.key, figures(r)]));

/** The roll-ups, in an order of their own: what a rebuild from the log must find again. */
async function rollups() {
  const rows = [];
  for (const table of ['agg_rollup', 'agg_rollup_months', 'agg_patient_days'] as const) {
    rows.push(...(await ctx.db.selectFrom(table).selectAll().execute()).map((r) => `${table} ${JSON.stringify(r)}`));
  }
  return rows.sort();
}

async function put(url: string, body: object) {
  const response = await ctx.app.inject({ method: 'PUT', url, headers: world.admin, payload: body });
  expect(response.statusCode, response.body).toBe(200);
}

describe('reports after a registry change', () => {
  it("group a hospital's figures under its corrected city", async () => {
    const ningbo = figures((await savings('groupBy=city')).rows.find((r) => r.key === 'Ningbo')!);
    await put(`/v1/hospitals/${world.hospitals.ningbo.id}`, {
      name: 'ningbo hospital',
      tier: 'tertiary',
      province: 'Zhejiang',
      city: 'Zhoushan',
      priceTier: 'T2',
    });
    // By city reads the roll-ups; by city for one category, and a city's items, read the fine aggregates.
    const byCity = byKey((await savings('groupBy=city')).rows);
    expect(byCity).toEqual({ Wenzhou: expect.any(Array), Zhoushan: ningbo });
    const perCategory = [...(await savings('groupBy=city&category=ct')).rows, ...(await savings('groupBy=city&category=lab')).rows];
    const zhoushanParts = perCategory.filter((r) => r.key === 'Zhoushan');
    expect(zhoushanParts.reduce((sum, r) => sum + r.recognitions, 0)).toBe(ningbo[1]);
    const items = await savings('groupBy=item&city=Zhoushan');
    expect(items.rows.reduce((sum, r) => sum + r.yuan, 0)).toBeCloseTo(items.totals.yuan, 2);
    expect(figures(items.totals)).toEqual(ningbo);
    expect((await savings('groupBy=day&city=Ningbo')).totals.recognitions).toBe(0);

    const counted = await rollups();
    await rebuildAggregates(ctx.db);
    expect(await rollups()).toEqual(counted);
  });

  it("group an item's figures under its new category", async () => {
    const before = byKey((await savings('groupBy=category')).rows);
    await put(`/v1/items/${world.ct}`, {
      name: 'CT chest',
      category: 'mri',
      validityDays: 30,
      prices: { T1: 300, T2: 250 },
      minutesSaved: 60,
      radiationMsv: 7,
    });
    const byCategory = byKey((await savings('groupBy=category')).rows);
    expect(byCategory).toEqual({ lab: before.lab, mri: before.ct });
    // The fine aggregates, one hospital at a time, add up to the roll-up.
    const perHospital = await Promise.all(
      Object.values(world.hospitals).map(async ({ id }) => (await savings(`groupBy=category&hospitalId=${id}`)).rows),
    );
    const mri = perHospital.flat().filter((r) => r.key === 'mri');
    expect(mri.reduce((sum, r) => sum + r.recognitions, 0)).toBe(byCategory.mri[1]);
    const items = await savings('groupBy=item&category=mri');
    expect(items.rows.map((r) => r.key)).toEqual([world.ct]);
    expect(figures(items.totals)).toEqual(figures(items.rows[0]));

    const counted = await rollups();
    await rebuildAggregates(ctx.db);
    expect(await rollups()).toEqual(counted);
  });
});
