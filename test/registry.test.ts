import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient, makeItem, makeScope } from './helpers/factories.ts';

let ctx: TestContext;
let admin: Record<string, string>;
beforeAll(async () => {
  ctx = await createTestContext();
  admin = bearer(await adminToken(ctx.app));
});
afterAll(() => ctx.close());

const hospitalBody = {
  name: 'Zhejiang Provincial People’s Hospital',
  tier: 'tertiary',
  grade: 'A',
  province: 'Zhejiang',
  city: 'Hangzhou',
  priceTier: 'T1',
};

describe('hospitals', () => {
  it('creates (201), updates (200) and reads a hospital', async () => {
    const created = await ctx.app.inject({ method: 'PUT', url: '/v1/hospitals/ZJ-PPH', headers: admin, payload: hospitalBody });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'ZJ-PPH', tier: 'tertiary', priceTier: 'T1', county: null, memberships: [] });
    const updated = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/hospitals/ZJ-PPH',
      headers: admin,
      payload: { ...hospitalBody, grade: 'B' },
    });
    expect(updated.statusCode).toBe(200);
    const read = await ctx.app.inject({ url: '/v1/hospitals/ZJ-PPH', headers: admin });
    expect(read.json().grade).toBe('B');
  });

  it('lists with filters and cursor pagination', async () => {
    for (const id of ['P-1', 'P-2', 'P-3']) await makeHospital(ctx.db, { id, city: 'Pagetown', tier: 'secondary' });
    const first = await ctx.app.inject({ url: '/v1/hospitals?city=Pagetown&limit=2', headers: admin });
    expect(first.json().hospitals.map((h: { id: string }) => h.id)).toEqual(['P-1', 'P-2']);
    const cursor = first.json().nextCursor;
    const second = await ctx.app.inject({ url: `/v1/hospitals?city=Pagetown&limit=2&cursor=${cursor}`, headers: admin });
    expect(second.json()).toMatchObject({ hospitals: [{ id: 'P-3' }], nextCursor: null });
    const tertiary = await ctx.app.inject({ url: '/v1/hospitals?city=Pagetown&tier=tertiary', headers: admin });
    expect(tertiary.json().hospitals).toEqual([]);
    // A cursor of another listing (a recall's id) is not a position in this one.
    const foreign = Buffer.from('0198d1a2-0000-7000-8000-000000000000').toString('base64url');
    expect((await ctx.app.inject({ url: `/v1/hospitals?cursor=${foreign}`, headers: admin })).statusCode).toBe(400);
  });

  it('rejects a malformed hospital with every offending field', async () => {
    const response = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/hospitals/BAD',
      headers: admin,
      payload: { name: '', tier: 'quaternary', province: 'Zhejiang' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    const fields = response.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'tier', 'city']));
  });

  it('answers 404 for an unknown hospital', async () => {
    const response = await ctx.app.inject({ url: '/v1/hospitals/NOPE', headers: admin });
    expect(response.statusCode).toBe(404);
  });

  it('lets hospital clients read the registry but not change it', async () => {
    const hospitalId = await makeHospital(ctx.db);
    const client = await makeHospitalClient(ctx.db, hospitalId);
    const token = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
    expect((await ctx.app.inject({ url: '/v1/hospitals', headers: token })).statusCode).toBe(200);
    const write = await ctx.app.inject({ method: 'PUT', url: `/v1/hospitals/${hospitalId}`, headers: token, payload: hospitalBody });
    expect(write.statusCode).toBe(403);
    expect((await ctx.app.inject({ url: '/v1/hospitals' })).statusCode).toBe(401);
  });
});

describe('scopes', () => {
  it('requires a region for city scopes and members for consortia', async () => {
    const city = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/scopes/HZ',
      headers: admin,
      payload: { level: 'city', name: 'Hangzhou' },
    });
    expect(city.statusCode).toBe(400);
    expect(city.json().errors).toEqual([{ field: 'region', message: 'is required for a city scope' }]);
    const consortium = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/scopes/C1',
      headers: admin,
      payload: { level: 'consortium', name: 'C1' },
    });
    expect(consortium.json().errors[0].field).toBe('members');
  });

  it('keeps a city scope’s province, only for city scopes', async () => {
    const city = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/scopes/TZ',
      headers: admin,
      payload: { level: 'city', name: 'Taizhou', region: 'Taizhou', province: 'Zhejiang' },
    });
    expect(city.json()).toMatchObject({ region: 'Taizhou', province: 'Zhejiang' });
    const national = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/scopes/NAT',
      headers: admin,
      payload: { level: 'national', name: 'All', province: 'Zhejiang' },
    });
    expect(national.json().errors).toEqual([{ field: 'province', message: 'is only for city scopes' }]);
  });

  it('refuses unknown members and items, accepts known ones, and shows memberships', async () => {
    const a = await makeHospital(ctx.db);
    const item = await makeItem(ctx.db);
    const bad = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/scopes/AL',
      headers: admin,
      payload: { level: 'alliance', name: 'YRD', members: [a, 'GHOST'], items: ['NOPE'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(['members', 'items']);
    const good = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/scopes/AL',
      headers: admin,
      payload: { level: 'alliance', name: 'YRD', members: [a], items: [item] },
    });
    expect(good.statusCode).toBe(201);
    expect((await ctx.app.inject({ url: `/v1/hospitals/${a}`, headers: admin })).json().memberships).toEqual(['AL']);
    expect((await ctx.app.inject({ url: '/v1/scopes/AL', headers: admin })).json()).toMatchObject({
      level: 'alliance',
      members: [a],
      items: [item],
    });
  });
});

describe('items and code maps', () => {
  const ct = { name: 'CT chest', category: 'ct', validityDays: 30, prices: { T1: 320, T2: 280 }, minutesSaved: 60, radiationMsv: 7 };

  it('puts and lists catalogue items', async () => {
    expect((await ctx.app.inject({ method: 'PUT', url: '/v1/items/CT-T', headers: admin, payload: ct })).statusCode).toBe(201);
    expect(
      (await ctx.app.inject({ method: 'PUT', url: '/v1/items/CT-T', headers: admin, payload: { ...ct, validityDays: 60 } })).statusCode,
    ).toBe(200);
    const list = await ctx.app.inject({ url: '/v1/items?category=ct', headers: admin });
    expect(list.json().items.find((i: { code: string }) => i.code === 'CT-T')).toMatchObject({
      validityDays: 60,
      negativeList: false,
      prices: { T1: 320, T2: 280 },
    });
  });

  it('rejects bad items', async () => {
    const response = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/items/X',
      headers: admin,
      payload: { ...ct, validityDays: 0, prices: {} },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['validityDays', 'prices']));
    const analytes = await ctx.app.inject({ method: 'PUT', url: '/v1/items/X', headers: admin, payload: { ...ct, analytes: ['ALT'] } });
    expect(analytes.json().errors).toEqual([{ field: 'analytes', message: 'are only for category lab' }]);
    // A LOINC code with a wrong check digit, or one listed twice (which would no longer name the item), and an analyte twice.
    const lab = { ...ct, category: 'lab', analytes: ['NA', 'NA'], loinc: ['4548-5', '2345-7', '2345-7'] };
    const codes = await ctx.app.inject({ method: 'PUT', url: '/v1/items/X', headers: admin, payload: lab });
    expect(codes.json().errors).toEqual([
      { field: 'analytes', message: 'lists a code twice' },
      { field: 'loinc.0', message: 'has a wrong check digit' },
      { field: 'loinc', message: 'lists a code twice' },
    ]);
    // A LOINC code another item lists would name neither: refused, naming the other item; its own codes again are fine.
    const glucose = { ...ct, category: 'lab', loinc: ['2345-7'] };
    expect((await ctx.app.inject({ method: 'PUT', url: '/v1/items/GLU-A', headers: admin, payload: glucose })).statusCode).toBe(201);
    expect((await ctx.app.inject({ method: 'PUT', url: '/v1/items/GLU-A', headers: admin, payload: glucose })).statusCode).toBe(200);
    const second = await ctx.app.inject({ method: 'PUT', url: '/v1/items/GLU-B', headers: admin, payload: glucose });
    expect(second.json().errors).toEqual([
      { field: 'loinc', message: 'lists codes other items list: 2345-7 (GLU-A); a LOINC code names one item' },
    ]);
  });

  it('maps local codes, readable and writable by the hospital itself (and administrators) only', async () => {
    const hospitalId = await makeHospital(ctx.db);
    const other = await makeHospital(ctx.db);
    const item = await makeItem(ctx.db);
    const put = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/hospitals/${hospitalId}/code-map/LOCAL-1`,
      headers: admin,
      payload: { itemCode: item },
    });
    expect(put.statusCode).toBe(201);
    const unknown = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/hospitals/${hospitalId}/code-map/LOCAL-2`,
      headers: admin,
      payload: { itemCode: 'NOPE' },
    });
    expect(unknown.statusCode).toBe(400);
    const own = await makeHospitalClient(ctx.db, hospitalId);
    const ownToken = bearer(await tokenFor(ctx.app, own.clientId, own.clientSecret));
    expect((await ctx.app.inject({ url: `/v1/hospitals/${hospitalId}/code-map`, headers: ownToken })).json().entries).toEqual([
      { hospitalId, localCode: 'LOCAL-1', itemCode: item },
    ]);
    expect((await ctx.app.inject({ url: `/v1/hospitals/${other}/code-map`, headers: ownToken })).statusCode).toBe(403);
    const ownPut = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/hospitals/${hospitalId}/code-map/LOCAL-3`,
      headers: ownToken,
      payload: { itemCode: item },
    });
    expect(ownPut.statusCode).toBe(201);
    const otherPut = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/hospitals/${other}/code-map/LOCAL-3`,
      headers: ownToken,
      payload: { itemCode: item },
    });
    expect(otherPut.statusCode).toBe(403);
    const reader = await makeHospitalClient(ctx.db, hospitalId, ['results:read']);
    const readerPut = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/hospitals/${hospitalId}/code-map/LOCAL-4`,
      headers: bearer(await tokenFor(ctx.app, reader.clientId, reader.clientSecret)),
      payload: { itemCode: item },
    });
    expect(readerPut.statusCode).toBe(403);
  });
});

describe('certifications', () => {
  it('appends events and reports the status now, honouring a retroactive revocation', async () => {
    ctx.clock.set('2026-06-01T00:00:00Z');
    const hospitalId = await makeHospital(ctx.db);
    const scopeId = await makeScope(ctx.db);
    const item = await makeItem(ctx.db);
    const post = (body: object) =>
      ctx.app.inject({ method: 'POST', url: `/v1/hospitals/${hospitalId}/certifications`, headers: admin, payload: body });
    expect((await post({ itemCode: item, scopeId, status: 'active', effectiveFrom: '2026-01-01T00:00:00+08:00' })).statusCode).toBe(201);
    let timeline = (await ctx.app.inject({ url: `/v1/hospitals/${hospitalId}/certifications`, headers: admin })).json();
    expect(timeline.current).toEqual([{ scopeId, itemCode: item, category: null, status: 'active' }]);
    expect(
      (await post({ itemCode: item, scopeId, status: 'revoked', effectiveFrom: '2026-02-01T00:00:00+08:00', note: 'falsified EQA data' }))
        .statusCode,
    ).toBe(201);
    timeline = (await ctx.app.inject({ url: `/v1/hospitals/${hospitalId}/certifications`, headers: admin })).json();
    expect(timeline.current[0].status).toBe('revoked');
    expect(timeline.timeline).toHaveLength(2);
    ctx.clock.release();
  });

  it('validates events', async () => {
    const hospitalId = await makeHospital(ctx.db);
    const response = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${hospitalId}/certifications`,
      headers: admin,
      payload: { itemCode: 'X', category: 'ct', scopeId: 'NOPE', status: 'paused', effectiveFrom: '2026-01-01' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['status', 'effectiveFrom']));
    const unknown = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${hospitalId}/certifications`,
      headers: admin,
      payload: { scopeId: 'NOPE', status: 'active', effectiveFrom: '2026-01-01T00:00:00Z' },
    });
    expect(unknown.json().errors).toEqual([{ field: 'scopeId', message: 'is not a registered scope' }]);
    // An item the scope does not hold: its certification there could never take effect.
    const [held, other] = [await makeItem(ctx.db), await makeItem(ctx.db)];
    const scopeId = await makeScope(ctx.db, { level: 'national', items: [held] });
    const outside = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${hospitalId}/certifications`,
      headers: admin,
      payload: { scopeId, itemCode: other, status: 'active', effectiveFrom: '2026-01-01T00:00:00Z' },
    });
    expect(outside.json().errors).toEqual([{ field: 'itemCode', message: `is not one of scope ${scopeId}'s items` }]);
    expect(
      (
        await ctx.app.inject({
          method: 'POST',
          url: '/v1/hospitals/NOPE/certifications',
          headers: admin,
          payload: { scopeId: 'x', status: 'active', effectiveFrom: '2026-01-01T00:00:00Z' },
        })
      ).statusCode,
    ).toBe(404);
  });
});
