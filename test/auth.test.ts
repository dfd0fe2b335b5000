import { generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiAudience, buildApp } from '../src/app.ts';
import { createLogger } from '../src/logger.ts';
import { createClientCache } from '../src/modules/auth/client-cache.ts';
import { expectInvalidToken, tokenEndpointHelpers } from './helpers/auth-token-endpoint.ts';
import { adminToken, basic, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

// These tests need GET /v1/hospitals (registry read, any authenticated client) from src/modules/registry.
const protectedRoute = '/v1/hospitals';

let ctx: TestContext;
let hospitalId: string;
let hospitalClient: { clientId: string; clientSecret: string };
let jwtClient: { clientId: string; privateKey: CryptoKey; kid: string };
const { makeJwtClient, assertionFor, requestToken, withAssertion } = tokenEndpointHelpers(() => ctx);

beforeAll(async () => {
  ctx = await createTestContext();
  hospitalId = await makeHospital(ctx.db);
  hospitalClient = await makeHospitalClient(ctx.db, hospitalId);
  jwtClient = await makeJwtClient(hospitalId);
});
afterAll(() => ctx.close());

function expectOAuthError(response: Awaited<ReturnType<typeof requestToken>>, status: number, error: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  const body = response.json();
  expect(body).toEqual({ error, error_description: expect.any(String) });
  // Only a client that authenticated with the Authorization header gets a (Basic) challenge.
  if (status === 401 && response.headers['www-authenticate'] !== undefined) expect(response.headers['www-authenticate']).toMatch(/^Basic /);
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

  it('refuses malformed credentials as invalid_client, not a server error', async () => {
    const noColon = `Basic ${Buffer.from('just-an-id').toString('base64')}`;
    expectOAuthError(await requestToken({ grant_type: 'client_credentials' }, { authorization: noColon }), 401, 'invalid_client');
    const badEscape = `Basic ${Buffer.from(`${hospitalClient.clientId}:100%`).toString('base64')}`;
    expectOAuthError(await requestToken({ grant_type: 'client_credentials' }, { authorization: badEscape }), 401, 'invalid_client');
    // A client id no client could have, which PostgreSQL would refuse to compare (a NUL), by either method.
    const nul = `Basic ${Buffer.from('adm%00in:secret').toString('base64')}`;
    expectOAuthError(await requestToken({ grant_type: 'client_credentials' }, { authorization: nul }), 401, 'invalid_client');
    expectOAuthError(await withAssertion(await assertionFor({ ...jwtClient, clientId: 'a\u0000b' })), 401, 'invalid_client');
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
