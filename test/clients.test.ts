import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital } from './helpers/factories.ts';

/** A hospital's API clients as administrators register, list and disable them. */
let ctx: TestContext;
let admin: Record<string, string>;
beforeAll(async () => {
  ctx = await createTestContext();
  admin = bearer(await adminToken(ctx.app));
});
afterAll(() => ctx.close());

describe('clients', () => {
  it('registers a secret client whose secret works once shown, lists it, and disables it', async () => {
    const hospitalId = await makeHospital(ctx.db);
    const registered = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${hospitalId}/clients`,
      headers: admin,
      payload: { scopes: ['results:write'] },
    });
    expect(registered.statusCode).toBe(201);
    const { clientId, clientSecret } = registered.json();
    const token = bearer(await tokenFor(ctx.app, clientId, clientSecret));
    expect((await ctx.app.inject({ url: '/v1/items', headers: token })).statusCode).toBe(200);
    const list = await ctx.app.inject({ url: `/v1/hospitals/${hospitalId}/clients`, headers: admin });
    expect(list.json().clients).toEqual([expect.objectContaining({ clientId, scopes: ['results:write'], disabledAt: null })]);
    expect(JSON.stringify(list.json())).not.toContain(clientSecret);
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/clients/${clientId}/disable`, headers: admin })).statusCode).toBe(200);
    expect((await ctx.app.inject({ url: '/v1/items', headers: token })).statusCode).toBe(401);
  });

  it('refuses a private key in a JWKS, a taken id, and the admin scope', async () => {
    const hospitalId = await makeHospital(ctx.db);
    const privateKey = { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c', kid: 'k1' };
    const leak = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${hospitalId}/clients`,
      headers: admin,
      payload: { jwks: { keys: [privateKey] } },
    });
    expect(leak.statusCode).toBe(400);
    const adminScope = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${hospitalId}/clients`,
      headers: admin,
      payload: { scopes: ['admin'] },
    });
    expect(adminScope.statusCode).toBe(400);
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${hospitalId}/clients`,
      headers: admin,
      payload: { clientId: 'dup-client' },
    });
    const dup = await ctx.app.inject({
      method: 'POST',
      url: `/v1/hospitals/${hospitalId}/clients`,
      headers: admin,
      payload: { clientId: 'dup-client' },
    });
    expect(dup.statusCode).toBe(409);
  });
});
