import { randomUUID } from 'node:crypto';
import { base64url, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAudience, buildApp } from '../src/app.ts';
import { prepareDatabase } from '../src/bootstrap.ts';
import type { ServiceKeys } from '../src/keys.ts';
import { createLogger } from '../src/logger.ts';
import { generateSigningJwk, importSigningKey } from '../src/modules/auth/keys.ts';
import { actingHospital, assertHospital } from '../src/modules/auth/index.ts';
import { expectInvalidToken } from './helpers/auth-token-endpoint.ts';
import { adminToken, basic, bearer, tokenFor } from './helpers/auth.ts';
import { adminCredentials, createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

// These tests need GET /v1/hospitals (registry read, any authenticated client) and
// PUT /v1/hospitals/:hospitalId (registry write, admin only) from src/modules/registry.
const protectedRoute = '/v1/hospitals';
const adminOnlyRoute = (hospitalId: string) => `/v1/hospitals/${hospitalId}`;

let ctx: TestContext;
let hospitalId: string;
let hospitalClient: { clientId: string; clientSecret: string };

beforeAll(async () => {
  ctx = await createTestContext();
  hospitalId = await makeHospital(ctx.db);
  hospitalClient = await makeHospitalClient(ctx.db, hospitalId);
});
afterAll(() => ctx.close());

/** A JWT over the given header and claims, signed by `key` (any ES256 key). */
function signed(claims: Record<string, unknown>, key: CryptoKey, kid: string) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(key);
}

function validClaims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ctx.config.publicUrl,
    aud: apiAudience(ctx.config.publicUrl),
    sub: hospitalClient.clientId,
    scope: 'results:read',
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...overrides,
  };
}

describe('access tokens', () => {
  it('are required: 401 with WWW-Authenticate Bearer', async () => {
    const response = await ctx.app.inject({ url: protectedRoute });
    expectInvalidToken(response);
    expect(response.json()).toMatchObject({ type: expect.stringMatching(/\/unauthorized$/), title: 'Unauthorized' });
    expectInvalidToken(
      await ctx.app.inject({
        url: protectedRoute,
        headers: { authorization: basic(hospitalClient.clientId, hospitalClient.clientSecret) },
      }),
    );
    expectInvalidToken(await ctx.app.inject({ url: protectedRoute, headers: bearer('') }));
  });

  it('expire, also after they have been used (their verification is remembered until they expire)', async () => {
    const token = await adminToken(ctx.app);
    expect((await ctx.app.inject({ url: protectedRoute, headers: bearer(token) })).statusCode).toBe(200);
    ctx.clock.set(new Date(Date.now() + (ctx.config.auth.accessTokenTtlSeconds + 5) * 1000));
    try {
      const response = await ctx.app.inject({ url: protectedRoute, headers: bearer(token) });
      expectInvalidToken(response);
      expect(response.headers['www-authenticate']).toMatch(/expired/);
    } finally {
      ctx.clock.release();
    }
    expect((await ctx.app.inject({ url: protectedRoute, headers: bearer(token) })).statusCode).toBe(200);
  });

  it('signed with another key are refused, whatever kid they name', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    expectInvalidToken(
      await ctx.app.inject({ url: protectedRoute, headers: bearer(await signed(validClaims(), privateKey, ctx.keys.signing.kid)) }),
    );
    expectInvalidToken(
      await ctx.app.inject({ url: protectedRoute, headers: bearer(await signed(validClaims(), privateKey, 'unknown-kid')) }),
    );
    // The genuine key accepts the same claims: the refusals above are about the signature alone.
    const genuine = await signed(validClaims(), ctx.keys.signing.privateKey, ctx.keys.signing.kid);
    expect((await ctx.app.inject({ url: protectedRoute, headers: bearer(genuine) })).statusCode).toBe(200);
  });

  it('for another audience or from another issuer are refused', async () => {
    const key = ctx.keys.signing;
    expectInvalidToken(
      await ctx.app.inject({
        url: protectedRoute,
        headers: bearer(await signed(validClaims({ aud: 'https://other.example/v1' }), key.privateKey, key.kid)),
      }),
    );
    expectInvalidToken(
      await ctx.app.inject({
        url: protectedRoute,
        headers: bearer(await signed(validClaims({ iss: 'https://other.example' }), key.privateKey, key.kid)),
      }),
    );
    expectInvalidToken(
      await ctx.app.inject({ url: protectedRoute, headers: bearer(await signed(validClaims({ sub: 'nobody' }), key.privateKey, key.kid)) }),
    );
  });

  it('with alg none are refused', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify(validClaims()));
    expectInvalidToken(await ctx.app.inject({ url: protectedRoute, headers: bearer(`${header}.${payload}.`) }));
    const hs = base64url.encode(JSON.stringify({ alg: 'HS256', kid: ctx.keys.signing.kid }));
    expectInvalidToken(await ctx.app.inject({ url: protectedRoute, headers: bearer(`${hs}.${payload}.${base64url.encode('sig')}`) }));
  });

  it('without the needed scope get a 403 problem', async () => {
    const readOnly = await tokenFor(ctx.app, hospitalClient.clientId, hospitalClient.clientSecret, 'results:read');
    const response = await ctx.app.inject({
      method: 'PUT',
      url: adminOnlyRoute(hospitalId),
      headers: { ...bearer(readOnly), 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(response.statusCode, response.body).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: expect.stringMatching(/\/forbidden$/),
      title: 'Forbidden',
      status: 403,
      detail: expect.stringMatching(/admin/),
    });
    // A scope claimed by a token but no longer granted to the client does not count.
    const claimsAdmin = await signed(validClaims({ scope: 'admin results:read' }), ctx.keys.signing.privateKey, ctx.keys.signing.kid);
    const escalated = await ctx.app.inject({
      method: 'PUT',
      url: adminOnlyRoute(hospitalId),
      headers: { ...bearer(claimsAdmin), 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(escalated.statusCode).toBe(403);
  });
});

describe('hospital checks', () => {
  const origin = { sourceAddress: '127.0.0.1', requestId: 'r-1' };
  const hospitalActor = { clientId: 'c', hospitalId: 'H1', scopes: new Set(['results:read']), isAdmin: false, origin };
  const adminActor = { clientId: 'a', hospitalId: null, scopes: new Set(['admin']), isAdmin: true, origin };

  it('let a hospital client act only as its own hospital, and an administrator for any', () => {
    expect(() => assertHospital(hospitalActor, 'H1')).not.toThrow();
    expect(() => assertHospital(hospitalActor, 'H2')).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => assertHospital(adminActor, 'H2')).not.toThrow();
    expect(actingHospital(hospitalActor)).toBe('H1');
    expect(() => actingHospital(adminActor)).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('carry the hospital into the token', async () => {
    const token = await tokenFor(ctx.app, hospitalClient.clientId, hospitalClient.clientSecret);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({
      sub: hospitalClient.clientId,
      hospital_id: hospitalId,
      iss: ctx.config.publicUrl,
      aud: apiAudience(ctx.config.publicUrl),
    });
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'ES256', kid: ctx.keys.signing.kid, typ: 'at+jwt' });
  });
});

describe('signing key rotation', () => {
  it('keeps tokens signed with the previous key valid until they expire, and publishes both keys meanwhile', async () => {
    const oldToken = await adminToken(ctx.app);
    const oldKid = ctx.keys.signing.kid;

    // A new deployment on the same database with a new AUTH_SIGNING_KEY.
    const signing = await importSigningKey(await generateSigningJwk());
    const keys: ServiceKeys = { ...ctx.keys, signing };
    await prepareDatabase(ctx.database, ctx.config, keys);
    const rotated = await buildApp({ config: ctx.config, database: ctx.database, logger: createLogger('silent'), clock: ctx.clock, keys });
    await rotated.ready();
    try {
      expect((await rotated.inject({ url: protectedRoute, headers: bearer(oldToken) })).statusCode).toBe(200);
      const newToken = await tokenFor(rotated, adminCredentials.clientId, adminCredentials.clientSecret);
      expect(JSON.parse(Buffer.from(newToken.split('.')[0], 'base64url').toString()).kid).toBe(signing.kid);
      expect((await rotated.inject({ url: protectedRoute, headers: bearer(newToken) })).statusCode).toBe(200);
      // An instance still running the old key trusts the new one too (rolling deployments), once it
      // reads the keys again: an unknown kid makes it do so at most every five seconds.
      ctx.clock.set(new Date(Date.now() + 6_000));
      expect((await ctx.app.inject({ url: protectedRoute, headers: bearer(newToken) })).statusCode).toBe(200);
      ctx.clock.release();

      const jwks = await rotated.inject('/.well-known/jwks.json');
      expect(jwks.statusCode).toBe(200);
      const kids = jwks.json<{ keys: { kid: string; d?: string }[] }>().keys.map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([oldKid, signing.kid]));
      expect(jwks.json<{ keys: { d?: string }[] }>().keys.every((k) => k.d === undefined)).toBe(true);

      // Past a token lifetime, the old token has expired and its key is no longer published or trusted.
      ctx.clock.set(new Date(Date.now() + (ctx.config.auth.accessTokenTtlSeconds + 60) * 1000));
      expectInvalidToken(await rotated.inject({ url: protectedRoute, headers: bearer(oldToken) }));
      const later = (await rotated.inject('/.well-known/jwks.json')).json<{ keys: { kid: string }[] }>().keys.map((k) => k.kid);
      expect(later).toEqual([signing.kid]);
      const stillNew = await tokenFor(rotated, adminCredentials.clientId, adminCredentials.clientSecret);
      expect((await rotated.inject({ url: protectedRoute, headers: bearer(stillNew) })).statusCode).toBe(200);
    } finally {
      ctx.clock.release();
      await rotated.close();
    }
  });
});
