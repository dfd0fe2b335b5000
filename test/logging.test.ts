import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sql } from 'kysely';
import { basic, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

// A valid resident ID number (GB 11643-1999 check digit), as a hospital would send it.
const residentId = '11010519491231002X';

/**
 * A route written carelessly on purpose: it logs its body, its headers and the patient. The
 * logger's redaction, not the route author's care, must keep the secrets out.
 */
function carelessRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // A statement that fails on the value it was given: PostgreSQL quotes the value in its error.
  app.post('/test/store-findings', {
    config: { scopes: ['any'] },
    schema: { body: z.object({ findings: z.string() }) },
    handler: async (request) => {
      await sql`select ${request.body.findings}::integer`.execute(ctx.db);
      return { ok: true };
    },
  });
  app.post('/test/careless', {
    config: { scopes: ['any'] },
    schema: { body: z.object({ patient: z.object({ idType: z.string(), idNumber: z.string().length(18) }) }) },
    handler: async (request) => {
      request.log.info({ body: request.body }, 'body received');
      request.log.info({ patient: request.body.patient }, 'patient received');
      request.log.info({ headers: request.headers }, 'headers received');
      request.log.info(request.body, 'body at the top level');
      return { ok: true };
    },
  });
}

let ctx: TestContext;
let client: { clientId: string; clientSecret: string };

beforeAll(async () => {
  // trace: everything Fastify itself would log is captured too.
  ctx = await createTestContext({ LOG_LEVEL: 'trace' }, { extend: carelessRoutes });
  client = await makeHospitalClient(ctx.db, await makeHospital(ctx.db));
});
afterAll(() => ctx.close());

describe('logs', () => {
  it('never contain a client secret, a bearer token or a resident ID number, but do carry request ids', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    // client_secret_post, client_secret_basic, a wrong secret and a secret misplaced in the query.
    const post = await ctx.app.inject({
      method: 'POST',
      url: '/v1/oauth/token',
      headers: { ...form, 'x-request-id': 'log-token-post' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }).toString(),
    });
    expect(post.statusCode).toBe(200);
    const token = await tokenFor(ctx.app, client.clientId, client.clientSecret);
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/oauth/token?client_secret=${client.clientSecret}`,
      headers: { ...form, authorization: basic(client.clientId, `${client.clientSecret}-wrong`) },
      payload: 'grant_type=client_credentials',
    });

    // The token used well, misplaced in a query string, and sent to a route that logs everything.
    const careless = await ctx.app.inject({
      method: 'POST',
      url: `/test/careless?access_token=${token}&idNumber=${residentId}`,
      headers: { ...bearer(token), 'content-type': 'application/json', 'x-request-id': 'log-careless' },
      payload: { patient: { idType: 'resident_id', idNumber: residentId } },
    });
    expect(careless.statusCode, careless.body).toBe(200);
    // A validation failure on the ID number, and an unauthenticated attempt with it.
    await ctx.app.inject({
      method: 'POST',
      url: '/test/careless',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      payload: { patient: { idType: 'resident_id', idNumber: `${residentId}0` } },
    });
    await ctx.app.inject({
      method: 'POST',
      url: '/test/careless',
      headers: { ...bearer(`${token}x`), 'content-type': 'application/json' },
      payload: { patient: { idType: 'resident_id', idNumber: residentId } },
    });

    const logs = ctx.logs();
    expect(logs).toContain('body received');
    expect(logs).toContain('[redacted]');
    expect(logs).not.toContain(client.clientSecret);
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(token.split('.')[2]);
    expect(logs).not.toContain(residentId);
    expect(logs).not.toContain(residentId.slice(0, 17));

    // Request ids join every line of a request: the caller's, echoed, and ours.
    const lines = logs
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.reqId === 'log-token-post').length).toBeGreaterThanOrEqual(2);
    const carelessLines = lines.filter((l) => l.reqId === 'log-careless');
    expect(carelessLines.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'body received', 'request completed']));
    expect(lines.every((l) => l.reqId === undefined || typeof l.reqId === 'string')).toBe(true);
  });

  it('never carry what a database error quotes, such as clinical text, yet name the error', async () => {
    const token = await tokenFor(ctx.app, client.clientId, client.clientSecret);
    const findings = '右肺上叶见磨玻璃结节 patient-specific text';
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/test/store-findings',
      headers: { ...bearer(token), 'content-type': 'application/json', 'x-request-id': 'log-database-error' },
      payload: { findings },
    });
    expect(response.statusCode).toBe(500);
    const logs = ctx.logs();
    expect(logs).not.toContain('磨玻璃');
    expect(logs).not.toContain('patient-specific');
    const line = logs
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reqId?: string; err?: Record<string, unknown> })
      .find((l) => l.reqId === 'log-database-error' && l.err);
    expect(line?.err).toMatchObject({ type: 'DatabaseError', code: '22P02', message: 'invalid input syntax for type integer' });
  });
});
