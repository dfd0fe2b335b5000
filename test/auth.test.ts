import { randomUUID } from 'node:crypto';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiAudience, buildApp } from '../src/app.ts';
import { prepareDatabase } from '../src/bootstrap.ts';
import type { ServiceKeys } from '../src/keys.ts';
import { createLogger } from '../src/logger.ts';
import { createClientCache } from '../src/modules/auth/client-cache.ts';
import { generateSigningJwk, importSigningKey } from '../src/modules/auth/keys.ts';
import { actingHospital, assertHospital } from '../src/modules/auth/index.ts';
import { adminToken, basic, bearer, tokenFor } from './helpers/auth.ts';
import { adminCredentials, createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

// These tests need GET /v1/hospitals (registry read, any authenticated client) and
// PUT /v1/hospitals/:hospitalId (registry write, admin only) from src/modules/registry.
const protectedRoute = '/v1/hospitals';
const adminOnlyRoute = (hospitalId: string) => `/v1/hospitals/${hospitalId}`;
const form = 'application/x-www-form-urlencoded';
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let ctx: TestContext;
let hospitalId: string;
let hospitalClient: { clientId: string; clientSecret: string };
let jwtClient: { clientId: string; privateKey: CryptoKey; kid: string };

beforeAll(async () => {
  ctx = await createTestContext();
  hospitalId = await makeHospital(ctx.db);
  hospitalClient = await makeHospitalClient(ctx.db, hospitalId);
  jwtClient = await makeJwtClient(hospitalId);
});
afterAll(() => ctx.close());

/** A hospital client that authenticates with private_key_jwt, its JWKS registered in the clients table. */
async function makeJwtClient(forHospital: string, scopes = ['results:read', 'recognition']) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  const clientId = `${forHospital}-jwt-${kid.slice(0, 8)}`;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  await ctx.db
    .insertInto('clients')
    .values({ client_id: clientId, hospital_id: forHospital, scopes, secret_hash: null, jwks: JSON.stringify(jwks) })
    .execute();
  return { clientId, privateKey, kid };
}

function tokenEndpoint() {
  return `${ctx.config.publicUrl}/v1/oauth/token`;
}

async function assertionFor(
  client: { clientId: string; privateKey: CryptoKey; kid: string },
  overrides: { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: client.kid, typ: 'JWT' })
    .setIssuer(overrides.iss ?? client.clientId)
    .setSubject(overrides.sub ?? client.clientId)
    .setAudience(overrides.aud ?? tokenEndpoint())
    .setExpirationTime(overrides.exp ?? now + 120)
    .setIssuedAt(now)
    .setJti(overrides.jti ?? randomUUID())
    .sign(client.privateKey);
}

function requestToken(params: Record<string, string>, headers: Record<string, string> = {}) {
  return ctx.app.inject({
    method: 'POST',
    url: '/v1/oauth/token',
    headers: { 'content-type': form, ...headers },
    payload: new URLSearchParams(params).toString(),
  });
}

function withAssertion(assertion: string, extra: Record<string, string> = {}) {
  return requestToken({ grant_type: 'client_credentials', client_assertion_type: assertionType, client_assertion: assertion, ...extra });
}

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

function expectOAuthError(response: Awaited<ReturnType<typeof requestToken>>, status: number, error: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  const body = response.json();
  expect(body).toEqual({ error, error_description: expect.any(String) });
  // Only a client that authenticated with the Authorization header gets a (Basic) challenge.
  if (status === 401 && response.headers['www-authenticate'] !== undefined) expect(response.headers['www-authenticate']).toMatch(/^Basic /);
}

function expectInvalidToken(response: Awaited<ReturnType<typeof requestToken>>) {
  expect(response.statusCode, response.body).toBe(401);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json()).toMatchObject({ status: 401, requestId: response.headers['x-request-id'] });
}

describe('client authentication at the token endpoint', () => {
  it('accepts client_secret_basic', async () => {
    const response = await requestToken(
      { grant_type: 'client_credentials' },
      { authorization: basic(hospitalClient.clientId, hospitalClient.clientSecret) },
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: ctx.config.auth.accessTokenTtlSeconds,
      scope: 'results:write results:read recognition reports:read',
    });
    const use = await ctx.app.inject({ url: protectedRoute, headers: bearer(response.json().access_token) });
    expect(use.statusCode, use.body).toBe(200);
  });

  it('accepts client_secret_post and narrows to the requested scope', async () => {
    const response = await requestToken({
      grant_type: 'client_credentials',
      client_id: hospitalClient.clientId,
      client_secret: hospitalClient.clientSecret,
      scope: 'results:read recognition',
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().scope).toBe('results:read recognition');
  });

  it('accepts private_key_jwt signed with a key of the registered JWKS', async () => {
    const response = await withAssertion(await assertionFor(jwtClient));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().scope).toBe('results:read recognition');
    const use = await ctx.app.inject({ url: protectedRoute, headers: bearer(response.json().access_token) });
    expect(use.statusCode, use.body).toBe(200);
  });

  it('refuses a reused client assertion (jti)', async () => {
    const assertion = await assertionFor(jwtClient);
    expect((await withAssertion(assertion)).statusCode).toBe(200);
    const replay = await withAssertion(assertion);
    expectOAuthError(replay, 401, 'invalid_client');
    expect(replay.json().error_description).toBe('Client authentication failed');
    const sameJti = await withAssertion(
      await assertionFor(jwtClient, { jti: JSON.parse(Buffer.from(assertion.split('.')[1], 'base64url').toString()).jti }),
    );
    expectOAuthError(sameJti, 401, 'invalid_client');
  });

  it('refuses an expired assertion, and one that lives longer than five minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectOAuthError(await withAssertion(await assertionFor(jwtClient, { exp: now - 10 })), 401, 'invalid_client');
    expectOAuthError(await withAssertion(await assertionFor(jwtClient, { exp: now + 3600 })), 401, 'invalid_client');
  });

  it('refuses an assertion for another audience, issuer or subject', async () => {
    expectOAuthError(await withAssertion(await assertionFor(jwtClient, { aud: 'https://elsewhere.example/token' })), 401, 'invalid_client');
    expectOAuthError(await withAssertion(await assertionFor(jwtClient, { aud: apiAudience(ctx.config.publicUrl) })), 401, 'invalid_client');
    expectOAuthError(
      await withAssertion(await assertionFor(jwtClient, { iss: 'no-such-client', sub: 'no-such-client' })),
      401,
      'invalid_client',
    );
    expectOAuthError(await withAssertion(await assertionFor(jwtClient, { sub: hospitalClient.clientId })), 401, 'invalid_client');
    // A secret client cannot use an assertion: it has no JWKS.
    expectOAuthError(await withAssertion(await assertionFor({ ...jwtClient, clientId: hospitalClient.clientId })), 401, 'invalid_client');
  });

  it('refuses an assertion signed with a key outside the registered JWKS', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    expectOAuthError(await withAssertion(await assertionFor({ ...jwtClient, privateKey })), 401, 'invalid_client');
    // Not even a compact JWS: a malformed request, not a failed authentication.
    expectOAuthError(await withAssertion('not-a-jwt'), 400, 'invalid_request');
    expectOAuthError(
      await requestToken({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:other',
        client_assertion: await assertionFor(jwtClient),
      }),
      400,
      'invalid_request',
    );
  });

  it('answers a wrong secret with 401 invalid_client and WWW-Authenticate', async () => {
    const viaBasic = await requestToken(
      { grant_type: 'client_credentials' },
      { authorization: basic(hospitalClient.clientId, 'wrong-secret') },
    );
    expectOAuthError(viaBasic, 401, 'invalid_client');
    expect(viaBasic.headers['www-authenticate']).toBe('Basic realm="mutual-recognition"');
    const viaPost = await requestToken({
      grant_type: 'client_credentials',
      client_id: hospitalClient.clientId,
      client_secret: 'wrong-secret',
    });
    expectOAuthError(viaPost, 401, 'invalid_client');
    expect(viaPost.headers['www-authenticate']).toBeUndefined();
    const unknown = await requestToken({ grant_type: 'client_credentials' }, { authorization: basic('nobody', 'whatever') });
    expectOAuthError(unknown, 401, 'invalid_client');
    expect(unknown.json().error_description).toBe(viaBasic.json().error_description);
    expectOAuthError(await requestToken({ grant_type: 'client_credentials' }), 401, 'invalid_client');
  });

  it('refuses malformed Basic credentials as invalid_client, not a server error', async () => {
    const noColon = `Basic ${Buffer.from('just-an-id').toString('base64')}`;
    expectOAuthError(await requestToken({ grant_type: 'client_credentials' }, { authorization: noColon }), 401, 'invalid_client');
    const badEscape = `Basic ${Buffer.from(`${hospitalClient.clientId}:100%`).toString('base64')}`;
    expectOAuthError(await requestToken({ grant_type: 'client_credentials' }, { authorization: badEscape }), 401, 'invalid_client');
  });

  it('refuses two authentication methods at once', async () => {
    const response = await requestToken(
      { grant_type: 'client_credentials', client_id: hospitalClient.clientId, client_secret: hospitalClient.clientSecret },
      { authorization: basic(hospitalClient.clientId, hospitalClient.clientSecret) },
    );
    expectOAuthError(response, 400, 'invalid_request');
  });

  it('refuses an unsupported grant type, a missing one and an unknown scope', async () => {
    const auth = { authorization: basic(hospitalClient.clientId, hospitalClient.clientSecret) };
    expectOAuthError(await requestToken({ grant_type: 'password', username: 'u', password: 'p' }, auth), 400, 'unsupported_grant_type');
    expectOAuthError(await requestToken({}, auth), 400, 'invalid_request');
    expectOAuthError(await requestToken({ grant_type: 'client_credentials', scope: 'admin' }, auth), 400, 'invalid_scope');
    expectOAuthError(await requestToken({ grant_type: 'client_credentials', scope: 'results:read launch' }, auth), 400, 'invalid_scope');
  });

  it('refuses a JSON body with invalid_request', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/oauth/token',
      headers: { 'content-type': 'application/json', authorization: basic(hospitalClient.clientId, hospitalClient.clientSecret) },
      payload: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expectOAuthError(response, 400, 'invalid_request');
  });

  it('refuses a disabled client both a new token and the use of an existing one', async () => {
    const client = await makeHospitalClient(ctx.db, hospitalId);
    const token = await tokenFor(ctx.app, client.clientId, client.clientSecret);
    const assertionClient = await makeJwtClient(hospitalId);
    const jwtToken = (await withAssertion(await assertionFor(assertionClient))).json().access_token as string;
    expect((await ctx.app.inject({ url: protectedRoute, headers: bearer(token) })).statusCode).toBe(200);

    // Disabled by an operator's SQL: the trigger's announcement reaches the service's client cache.
    await ctx.db
      .updateTable('clients')
      .set({ disabled_at: new Date() })
      .where('client_id', 'in', [client.clientId, assertionClient.clientId])
      .execute();
    const rightSecret = await requestToken(
      { grant_type: 'client_credentials' },
      { authorization: basic(client.clientId, client.clientSecret) },
    );
    expectOAuthError(rightSecret, 401, 'invalid_client');
    // The answer is the one a wrong secret gets: it never confirms that the secret was right.
    const wrongSecret = await requestToken(
      { grant_type: 'client_credentials' },
      { authorization: basic(client.clientId, 'not-the-secret') },
    );
    expect(rightSecret.json()).toEqual(wrongSecret.json());
    expectOAuthError(await withAssertion(await assertionFor(assertionClient)), 401, 'invalid_client');
    await vi.waitFor(async () => expectInvalidToken(await ctx.app.inject({ url: protectedRoute, headers: bearer(token) })), {
      timeout: 2_000,
    });
    await vi.waitFor(async () => expectInvalidToken(await ctx.app.inject({ url: protectedRoute, headers: bearer(jwtToken) })), {
      timeout: 2_000,
    });
  });

  it('remembers clients only while their changes are announced', async () => {
    let announcing!: (listening: boolean) => void;
    const cache = createClientCache(ctx.db, async (_channel, _onMessage, onListening) => {
      (announcing = onListening)(true);
      return async () => {};
    });
    await cache.start();
    const client = await makeHospitalClient(ctx.db, hospitalId);
    const disabledAt = async () => (await cache.find(client.clientId))?.disabled_at ?? null;
    expect(await disabledAt()).toBeNull();
    // This listener hears nothing: the remembered row is served...
    await ctx.db.updateTable('clients').set({ disabled_at: new Date() }).where('client_id', '=', client.clientId).execute();
    expect(await disabledAt()).toBeNull();
    // ...until announcements may be missed: then every lookup reads the database.
    announcing(false);
    expect(await disabledAt()).not.toBeNull();
    await cache.stop();
  });

  it('refuses a client disabled through one instance on another instance of the service', async () => {
    const other = await buildApp({
      config: ctx.config,
      database: ctx.database,
      logger: createLogger('silent'),
      clock: ctx.clock,
      keys: ctx.keys,
    });
    await other.ready();
    try {
      const client = await makeHospitalClient(ctx.db, hospitalId);
      const token = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
      // Both instances authenticate the client (and remember it); then one disables it.
      expect((await other.inject({ url: protectedRoute, headers: token })).statusCode).toBe(200);
      expect((await ctx.app.inject({ url: protectedRoute, headers: token })).statusCode).toBe(200);
      const admin = bearer(await adminToken(ctx.app));
      expect((await ctx.app.inject({ method: 'POST', url: `/v1/clients/${client.clientId}/disable`, headers: admin })).statusCode).toBe(
        200,
      );
      expectInvalidToken(await ctx.app.inject({ url: protectedRoute, headers: token }));
      await vi.waitFor(async () => expectInvalidToken(await other.inject({ url: protectedRoute, headers: token })), { timeout: 2_000 });
    } finally {
      await other.close();
    }
  });
});

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
