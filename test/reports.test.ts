import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchUp } from '../src/modules/reports/index.ts';
import { drainOnce, rebuildAggregates } from '../src/modules/reports/aggregator.ts';
import { generateResidentId, patientKey } from '../src/modules/patients/index.ts';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, patientKeySecret, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeResult, makeScope } from './helpers/factories.ts';

let ctx: TestContext;
let admin: Record<string, string>;
const hospitals: Record<string, { id: string; auth: Record<string, string> }> = {};
let ct: string;
let cbc: string;

// 2026-11-20 23:50 and 2026-11-21 00:10 in Asia/Shanghai straddle midnight there (15:50 and 16:10 UTC).
const beforeMidnight = new Date('2026-11-20T15:50:00Z');
const afterMidnight = new Date('2026-11-20T16:10:00Z');

async function scenario(
  receiver: string,
  patientSeq: number,
  at: Date,
  items: string[],
  decide: (candidates: Map<string, string[]>) => object[],
) {
  const idNumber = generateResidentId('19750505', '330106', String(patientSeq).padStart(3, '0'));
  const key = patientKey(patientKeySecret, 'resident_id', idNumber);
  ctx.clock.set(new Date(at.getTime() - 3 * 86_400_000));
  for (const item of items)
    await makeResult(ctx.db, {
      hospitalId: hospitals.issuer.id,
      patientKey: key,
      itemCode: item,
      kind: item === ct ? 'images' : 'data',
      performedAt: ctx.clock(),
    });
  ctx.clock.set(at);
  const check = await ctx.app.inject({
    method: 'POST',
    url: '/v1/recognition-checks',
    headers: hospitals[receiver].auth,
    payload: { practitionerId: `DR-${receiver}`, patient: { idType: 'resident_id', idNumber }, items, purpose: 'treatment' },
  });
  expect(check.statusCode).toBe(201);
  const body = check.json();
  const candidates = new Map<string, string[]>(
    body.items.map((i: { itemCode: string; candidates: { resultId: string }[] }) => [i.itemCode, i.candidates.map((c) => c.resultId)]),
  );
  const decisions = decide(candidates);
  return { checkId: body.checkId as string, decisions };
}

beforeAll(async () => {
  ctx = await createTestContext();
  admin = bearer(await adminToken(ctx.app));
  const national = await makeScope(ctx.db, { level: 'national' });
  ct = await makeItem(ctx.db, { category: 'ct', prices: { T1: 300, T2: 250 }, minutesSaved: 60, radiationMsv: 7 });
  cbc = await makeItem(ctx.db, { category: 'lab', prices: { T1: 20, T2: 18 }, minutesSaved: 30, radiationMsv: null, validityDays: 7 });
  for (const [name, seed] of Object.entries({
    issuer: { city: 'Hangzhou', priceTier: 'T1' },
    ningbo: { city: 'Ningbo', priceTier: 'T2' },
    wenzhou: { city: 'Wenzhou', priceTier: 'T1' },
  })) {
    const id = await makeHospital(ctx.db, { ...seed, name: `${name} hospital` });
    await certify(ctx.db, { hospitalId: id, scopeId: national });
    const client = await makeHospitalClient(ctx.db, id);
    hospitals[name] = { id, auth: bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret)) };
  }

  // Ningbo: two checks either side of Shanghai midnight, recognising CT and CBC, then declining one.
  const first = await scenario('ningbo', 1, beforeMidnight, [ct, cbc], (c) => [
    { resultId: c.get(ct)![0], action: 'recognized' },
    { resultId: c.get(cbc)![0], action: 'recognized' },
  ]);
  const decided = await ctx.app.inject({
    method: 'POST',
    url: `/v1/recognition-checks/${first.checkId}/decisions`,
    headers: hospitals.ningbo.auth,
    payload: { decisions: first.decisions },
  });
  expect(decided.statusCode).toBe(201);
  const runs = [
    await scenario('ningbo', 2, afterMidnight, [ct], (c) => [
      { resultId: c.get(ct)![0], action: 'declined', reasonCode: 'D8_NO_REFERENCE_VALUE' },
    ]),
    await scenario('wenzhou', 3, afterMidnight, [ct, cbc], (c) => [
      { resultId: c.get(ct)![0], action: 'recognized' },
      { resultId: c.get(cbc)![0], action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' },
    ]),
    await scenario('wenzhou', 4, afterMidnight, [cbc], (c) => [{ resultId: c.get(cbc)![0], action: 'recognized' }]),
  ];
  // The rest arrive concurrently, after midnight.
  const receivers = ['ningbo', 'wenzhou', 'wenzhou'];
  const responses = await Promise.all(
    runs.map((run, i) =>
      ctx.app.inject({
        method: 'POST',
        url: `/v1/recognition-checks/${run.checkId}/decisions`,
        headers: hospitals[receivers[i]].auth,
        payload: { decisions: run.decisions },
      }),
    ),
  );
  expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201]);
  // Reports read what the aggregator has counted; a test context runs no aggregator, so count now.
  await catchUp(ctx.db);
  ctx.clock.set('2026-11-22T04:00:00Z');
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
