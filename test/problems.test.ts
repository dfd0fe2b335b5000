import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

const internalDetail = 'connection to 10.0.0.7 refused: password=hunter2';

/** Test-only routes, so every error class is produced the way real routes produce it. */
function testRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.post('/test/patients', {
    schema: {
      body: z.object({
        patient: z.object({ idType: z.enum(['resident_id', 'passport']), idNumber: z.string().length(18) }),
        items: z.array(z.object({ code: z.string().min(1) })).min(1),
      }),
    },
    handler: async () => ({ ok: true }),
  });
  app.get('/test/search', {
    schema: { querystring: z.object({ limit: z.coerce.number().int().min(1).max(500) }) },
    handler: async (request) => ({ limit: request.query.limit }),
  });
  app.get('/test/boom', async () => {
    throw new Error(internalDetail);
  });
  app.get('/test/admin-only', { config: { scopes: ['admin'] } }, async () => ({ ok: true }));
  app.get('/test/any-client', { config: { scopes: ['any'] } }, async () => ({ ok: true }));
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({}, { extend: testRoutes });
});
afterAll(() => ctx.close());

/** The RFC 9457 document every error answers with, its requestId the x-request-id header. */
function expectProblem(response: LightMyRequestResponse, status: number, slug: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const problem = response.json<Record<string, unknown>>();
  expect(problem).toMatchObject({
    type: `https://mutual-recognition.dev/problems/${slug}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    requestId: response.headers['x-request-id'],
  });
  expect(String(problem.requestId)).not.toBe('');
  return problem;
}

const json = { 'content-type': 'application/json' };
const validBody = { patient: { idType: 'resident_id', idNumber: '11010519491231002X' }, items: [{ code: 'CT-HEAD' }] };

describe('problem+json', () => {
  it('accepts the test route when the body is right', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/test/patients', headers: json, payload: validBody });
    expect(response.statusCode, response.body).toBe(200);
  });

  it('400 for a malformed JSON body', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/test/patients', headers: json, payload: '{"patient": {' });
    expectProblem(response, 400, 'malformed-body');
    const empty = await ctx.app.inject({ method: 'POST', url: '/test/patients', headers: json, payload: '' });
    expectProblem(empty, 400, 'malformed-body');
  });

  it('400 for a validation failure, listing each field in dot notation', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/test/patients',
      headers: json,
      payload: { patient: { idType: 'resident_id', idNumber: '123' }, items: [{ code: '' }] },
    });
    const problem = expectProblem(response, 400, 'validation');
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { field: 'patient.idNumber', message: expect.any(String) },
        { field: 'items.0.code', message: expect.any(String) },
      ]),
    );
    expect(problem.detail).toMatch(/patient\.idNumber/);
    // The offending value itself is not echoed.
    expect(response.body).not.toContain('"123"');
  });

  it('400 for a bad query parameter names the parameter', async () => {
    expect((await ctx.app.inject('/test/search?limit=5')).json()).toEqual({ limit: 5 });
    const response = await ctx.app.inject('/test/search?limit=0');
    const problem = expectProblem(response, 400, 'validation');
    expect(problem.errors).toEqual([{ field: 'querystring.limit', message: expect.any(String) }]);
  });

  it('401 without a token, with WWW-Authenticate', async () => {
    const response = await ctx.app.inject('/test/any-client');
    expectProblem(response, 401, 'unauthorized');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('403 for a token without the needed scope', async () => {
    const hospitalId = await makeHospital(ctx.db);
    const client = await makeHospitalClient(ctx.db, hospitalId);
    const token = await tokenFor(ctx.app, client.clientId, client.clientSecret);
    expect((await ctx.app.inject({ url: '/test/any-client', headers: bearer(token) })).statusCode).toBe(200);
    const response = await ctx.app.inject({ url: '/test/admin-only', headers: bearer(token) });
    expectProblem(response, 403, 'forbidden');
  });

  it('404 for an unknown path', async () => {
    const response = await ctx.app.inject('/v1/no-such-thing?x=1');
    const problem = expectProblem(response, 404, 'not-found');
    expect(problem.instance).toBe('/v1/no-such-thing');
  });

  it('405 with Allow for a known path and another method', async () => {
    const response = await ctx.app.inject({ method: 'DELETE', url: '/healthz' });
    expectProblem(response, 405, 'method-not-allowed');
    expect(response.headers.allow).toBe('GET');
    const post = await ctx.app.inject({ method: 'GET', url: '/test/patients' });
    expectProblem(post, 405, 'method-not-allowed');
    expect(post.headers.allow).toBe('POST');
  });

  it('413 for a body over 1 MiB', async () => {
    const payload = JSON.stringify({ ...validBody, padding: 'x'.repeat(1024 * 1024) });
    const response = await ctx.app.inject({ method: 'POST', url: '/test/patients', headers: json, payload });
    expectProblem(response, 413, 'payload-too-large');
  });

  it('415 for an unsupported content type', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/test/patients',
      headers: { 'content-type': 'application/xml' },
      payload: '<patient/>',
    });
    expectProblem(response, 415, 'unsupported-media-type');
    // And on the service's own routes, as their OpenAPI operations declare (the test context checks every answer against them).
    const admin = bearer(await adminToken(ctx.app));
    for (const [method, url] of [
      ['PUT', '/v1/hospitals/H-1'],
      ['POST', '/v1/reports/what-if'],
    ] as const) {
      const xml = await ctx.app.inject({ method, url, headers: { ...admin, 'content-type': 'application/xml' }, payload: '<x/>' });
      expectProblem(xml, 415, 'unsupported-media-type');
      expectProblem(await ctx.app.inject({ method, url, headers: admin, payload: 'x' }), 415, 'unsupported-media-type');
    }
  });

  it('500 without leaking internals, logged with the request id', async () => {
    const response = await ctx.app.inject({ url: '/test/boom', headers: { 'x-request-id': 'boom-1' } });
    const problem = expectProblem(response, 500, 'internal');
    expect(problem.requestId).toBe('boom-1');
    expect(problem.title).toBe('Internal server error');
    expect(response.body).not.toMatch(/hunter2|10\.0\.0\.7|stack|Error:/);
    // The details go to the log instead, joined to the request id.
    const line = ctx
      .logs()
      .split('\n')
      .find((l) => l.includes('"reqId":"boom-1"') && l.includes('"level":50'));
    expect(line).toBeDefined();
  });

  it('500 without leaking internals when the database is gone', async () => {
    const other = await createTestContext();
    try {
      const token = await adminToken(other.app);
      await other.database.close();
      const response = await other.app.inject({ url: '/v1/hospitals', headers: bearer(token) });
      expectProblem(response, 500, 'internal');
      expect(response.body).not.toMatch(/pglite|closed|terminat|ECONN|select|stack/i);
    } finally {
      await other.close();
    }
  });

  it('every response carries x-request-id', async () => {
    for (const url of ['/healthz', '/v1/nowhere', '/test/boom', '/.well-known/jwks.json']) {
      expect((await ctx.app.inject(url)).headers['x-request-id']).toEqual(expect.any(String));
    }
  });
});
