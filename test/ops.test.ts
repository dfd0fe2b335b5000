import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('operations', () => {
  it('answers liveness and readiness', async () => {
    expect((await ctx.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await ctx.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ok');
  });

  it('echoes a well-formed x-request-id and mints one otherwise', async () => {
    const echoed = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': 'his-42.abc' } });
    expect(echoed.headers['x-request-id']).toBe('his-42.abc');
    const minted = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(minted.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown path with a 404 problem', async () => {
    const response = await ctx.app.inject('/v1/nowhere');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: expect.stringMatching(/not-found$/), status: 404, requestId: response.headers['x-request-id'] });
  });

  it('answers a known path with the wrong method with a 405 problem and Allow', async () => {
    const response = await ctx.app.inject({ method: 'DELETE', url: '/healthz' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
    expect(response.json()).toMatchObject({ status: 405, title: 'Method not allowed' });
  });

  it('reports not ready (503) when the database is gone', async () => {
    const other = await createTestContext();
    await other.database.close();
    const response = await other.app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    await other.close();
  });
});
