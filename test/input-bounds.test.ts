import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { openapiFile } from '../scripts/openapi-document.ts';
import { adminToken, bearer } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { ctSubmission, residentId, resultsWorld } from './helpers/results.ts';

/**
 * Hostile input is refused with 400 naming the field, before anything is stored, and never turns
 * into a 500 or a silently altered value: deep nesting, unstorable or deceptive characters,
 * unbounded free-form fields, dates outside the supported range.
 */
let ctx: TestContext;
let world: Awaited<ReturnType<typeof resultsWorld>>;
let admin: Record<string, string>;

beforeAll(async () => {
  ctx = await createTestContext();
  world = await resultsWorld(ctx.app, ctx.db);
  admin = bearer(await adminToken(ctx.app));
});
afterAll(() => ctx.close());

const json = { 'content-type': 'application/json' };
const count = async (table: 'results' | 'hospitals') =>
  Number(
    (
      await ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function expectFieldProblem(
  response: { statusCode: number; headers: Record<string, unknown>; json: () => { errors?: { field: string }[] } },
  field: string,
) {
  expect(response.statusCode).toBe(400);
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(response.json().errors?.map((e) => e.field)).toContain(field);
}

describe('JSON nesting', () => {
  it('refuses JSON nested 10,000 deep on every kind of route with 400, not a stack overflow', async () => {
    const requests = [
      { method: 'PUT' as const, url: '/v1/results/DEEP-1', headers: { ...json, ...bearer(world.tokenA) } },
      { method: 'POST' as const, url: '/v1/results/batch', headers: { ...json, ...bearer(world.tokenA) } },
      { method: 'POST' as const, url: '/v1/recognition-checks', headers: { ...json, ...bearer(world.tokenA) } },
      { method: 'PUT' as const, url: '/v1/hospitals/DEEP', headers: { ...json, ...admin } },
    ];
    for (const request of requests) {
      const response = await ctx.app.inject({ ...request, payload: `{"a":${nested(10_000)}}` });
      expect(response.statusCode, request.url).toBe(400);
      expect(response.json()).toMatchObject({ type: expect.stringMatching(/malformed-body$/) });
    }
  });

  it('refuses 4,000 levels inside equipment, and stores nothing', async () => {
    const before = await count('results');
    const body = JSON.stringify(ctSubmission(residentId(), world.ct)).replace('"equipment":{', `"equipment":{"deep":${nested(4_000)},`);
    const response = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/results/DEEP-2',
      headers: { ...json, ...bearer(world.tokenA) },
      payload: body,
    });
    expect(response.statusCode).toBe(400);
    expect(await count('results')).toBe(before);
  });
});

describe('unstorable and deceptive characters', () => {
  it('rejects only the batch item with a lone surrogate, naming its field, and stores the others as sent', async () => {
    const good = (n: number) => ({
      accessionNo: `SURR-${n}`,
      ...ctSubmission(residentId(), world.ct, { findings: `第${n}例：未见异常。\n复查。` }),
    });
    const text = JSON.stringify({ results: [good(1), { ...good(2), findings: 'LONE' }, good(3)] }).replace('LONE', 'broken \\ud800 text');
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/results/batch',
      headers: { ...json, ...bearer(world.tokenA) },
      payload: text,
    });
    expect(response.statusCode, response.body).toBe(200);
    const outcomes = response.json().results;
    expect(outcomes.map((r: { outcome: string }) => r.outcome)).toEqual(['created', 'rejected', 'created']);
    expect(outcomes[1].problem.errors).toEqual([{ field: 'findings', message: expect.stringMatching(/lone UTF-16 surrogate/) }]);
    const stored = await ctx.db
      .selectFrom('results')
      .select(['accession_no', 'findings'])
      .where('accession_no', 'like', 'SURR-%')
      .orderBy('accession_no')
      .execute();
    expect(stored).toEqual([
      { accession_no: 'SURR-1', findings: '第1例：未见异常。\n复查。' },
      { accession_no: 'SURR-3', findings: '第3例：未见异常。\n复查。' },
    ]);
  });

  it('refuses hospital names with a lone surrogate, control, zero-width or bidi-override characters, and stores none', async () => {
    const before = await count('hospitals');
    const hospital = (name: string) => JSON.stringify({ name, tier: 'tertiary', province: 'Zhejiang', city: 'Hangzhou' });
    for (const [n, name] of [
      'First \\ud83d Hospital',
      'First\\u0007Hospital',
      'First\\u200bHospital',
      'Hospital \\u202egnp.exe',
      'A\\u2066B\\u2069',
      'Tab\\tname',
    ].entries()) {
      const payload = hospital('PLACEHOLDER').replace('PLACEHOLDER', name);
      expectFieldProblem(
        await ctx.app.inject({ method: 'PUT', url: `/v1/hospitals/EVIL-${n}`, headers: { ...json, ...admin }, payload }),
        'name',
      );
    }
    expect(await count('hospitals')).toBe(before);
    const fine = await ctx.app.inject({
      method: 'PUT',
      url: '/v1/hospitals/FINE-1',
      headers: admin,
      payload: JSON.parse(hospital('浙江大学医学院附属第一医院 (Zhejiang)')),
    });
    expect(fine.statusCode, fine.body).toBe(201);
  });

  it('lets findings span lines but not hide text', async () => {
    const put = (accessionNo: string, findings: string) =>
      ctx.app.inject({
        method: 'PUT',
        url: `/v1/results/${accessionNo}`,
        headers: bearer(world.tokenA),
        payload: ctSubmission(residentId(), world.ct, { findings }),
      });
    expect((await put('LINES-1', '两肺纹理清晰。\n\t纵隔无偏移。\r\n')).statusCode).toBe(201);
    expectFieldProblem(await put('LINES-2', 'normal\u202eesrow'), 'findings');
    expectFieldProblem(await put('LINES-3', 'normal\u0000'), 'findings');
  });
});

describe('free-form fields', () => {
  const put = (accessionNo: string, equipment: unknown) =>
    ctx.app.inject({
      method: 'PUT',
      url: `/v1/results/${accessionNo}`,
      headers: bearer(world.tokenA),
      payload: ctSubmission(residentId(), world.ct, { equipment }),
    });

  it('keeps equipment flat and bounded: at most 32 attributes of bounded text, numbers or booleans', async () => {
    expect((await put('EQ-1', { sliceCount: 128, vendor: 'GE', kvp: 120, contrast: false })).statusCode).toBe(201);
    expectFieldProblem(await put('EQ-2', { detail: { nested: true } }), 'equipment.detail');
    expectFieldProblem(await put('EQ-3', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`attribute${i}`, i]))), 'equipment');
    expectFieldProblem(await put('EQ-4', { model: 'x'.repeat(201) }), 'equipment.model');
    expectFieldProblem(await put('EQ-5', { 'bad key': 1 }), 'equipment.bad key');
  });
});

describe('dates', () => {
  it('answers report dates outside the supported range with 400, not 500', async () => {
    for (const report of ['savings', 'declines', 'flows']) {
      for (const query of ['from=9999-12-31&to=9999-12-31', 'from=1999-12-31', 'to=2200-01-01', 'from=2026-02-30']) {
        const response = await ctx.app.inject({ url: `/v1/reports/${report}?${query}`, headers: admin });
        expect(response.statusCode, `${report}?${query}: ${response.body}`).toBe(400);
        expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      }
    }
  });
});

describe('the OpenAPI document', () => {
  it('bounds every string a request can carry with a pattern, an enumeration or a format', async () => {
    const document = JSON.parse(await readFile(openapiFile, 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    const unbounded: string[] = [];
    const followed = new Set<string>();
    const visit = (schema: unknown, where: string): void => {
      if (schema === null || typeof schema !== 'object') return;
      const s = schema as Record<string, unknown>;
      if (typeof s.$ref === 'string' && !followed.has(s.$ref)) {
        followed.add(s.$ref);
        const name = s.$ref.replace('#/components/schemas/', '');
        visit(document.components.schemas[name], name);
      }
      if (s.type === 'string' && s.pattern === undefined && s.enum === undefined && s.const === undefined && s.format === undefined)
        unbounded.push(where);
      for (const [key, value] of Object.entries(s)) {
        if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${where}.${key}[${i}]`));
        else visit(value, `${where}.${key}`);
      }
    };
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const { parameters, requestBody } = operation as { parameters?: unknown; requestBody?: unknown };
        visit(parameters, `${method} ${path} parameters`);
        visit(requestBody, `${method} ${path} body`);
      }
    }
    // Batch items are validated one by one, against this schema.
    visit({ $ref: '#/components/schemas/BatchResultItemInput' }, 'batch item');
    expect(followed.size).toBeGreaterThan(10);
    expect(unbounded).toEqual([]);
  });
});
