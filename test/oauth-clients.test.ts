import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAudience } from '../src/app.ts';
import { bearer } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

/**
 * The token endpoint as a standard client nobody here wrote sees it: oauth4webapi discovers the
 * server from its issuer (RFC 8414), authenticates with each of the three methods, and the access
 * token verifies with jose against the published JWKS.
 */
let ctx: TestContext;
let hospitalId: string;

/** oauth4webapi's fetch, answered by the app in process. */
const viaInject: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const response = await ctx.app.inject({
    method: (init?.method ?? 'GET') as 'GET',
    url: url.pathname + url.search,
    headers: Object.fromEntries(new Headers(init?.headers).entries()),
    payload: init?.body === undefined || init.body === null ? undefined : String(init.body),
  });
  return new Response(response.rawPayload.length > 0 ? response.rawPayload : null, {
    status: response.statusCode,
    headers: Object.entries(response.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]])) as [
      string,
      string,
    ][],
  });
};
const options = { [oauth.customFetch]: viaInject, [oauth.allowInsecureRequests]: true };

beforeAll(async () => {
  ctx = await createTestContext();
  hospitalId = await makeHospital(ctx.db);
});
afterAll(() => ctx.close());

async function discover() {
  const issuer = new URL(ctx.config.publicUrl);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
}

/** Gets a token the standard way and checks it as a resource server would, with jose and the JWKS. */
async function tokenWith(clientId: string, clientAuth: oauth.ClientAuth) {
  const as = await discover();
  const client = { client_id: clientId };
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    client,
    clientAuth,
    new URLSearchParams({ scope: 'results:read' }),
    options,
  );
  const token = await oauth.processClientCredentialsResponse(as, client, response);
  const jwks = (await ctx.app.inject(new URL(as.jwks_uri!).pathname)).json<JSONWebKeySet>();
  const { payload, protectedHeader } = await jwtVerify(token.access_token, createLocalJWKSet(jwks), {
    issuer: as.issuer,
    audience: apiAudience(ctx.config.publicUrl),
    typ: 'at+jwt',
  });
  expect(payload).toMatchObject({ sub: clientId, scope: 'results:read' });
  expect(protectedHeader.alg).toBe('ES256');
  expect((await ctx.app.inject({ url: '/v1/hospitals', headers: bearer(token.access_token) })).statusCode).toBe(200);
  return token;
}

async function keyClient(algorithm: 'ES256' | 'Ed25519') {
  const { privateKey, publicKey } = await generateKeyPair(algorithm);
  const kid = randomUUID();
  const clientId = `${hospitalId}-${algorithm.toLowerCase()}-${kid.slice(0, 8)}`;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig' }] };
  await ctx.db
    .insertInto('clients')
    .values({ client_id: clientId, hospital_id: hospitalId, scopes: ['results:read'], secret_hash: null, jwks: JSON.stringify(jwks) })
    .execute();
  return { clientId, key: { key: privateKey, kid } };
}

describe('discovery', () => {
  it('publishes RFC 8414 metadata naming the token endpoint, JWKS, grant, methods, algorithms and scopes', async () => {
    const as = await discover();
    expect(as).toMatchObject({
      issuer: ctx.config.publicUrl,
      token_endpoint: `${ctx.config.publicUrl}/v1/oauth/token`,
      jwks_uri: `${ctx.config.publicUrl}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      scopes_supported: expect.arrayContaining(['admin', 'results:read', 'recognition']),
    });
    expect(as.token_endpoint_auth_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ES256', 'RS384', 'ES384', 'EdDSA', 'Ed25519']),
    );
    const smart = await ctx.app.inject('/.well-known/smart-configuration');
    expect(smart.json()).toMatchObject({
      token_endpoint: as.token_endpoint,
      capabilities: expect.arrayContaining(['client-confidential-asymmetric']),
    });
  });
});

describe('a standard client (oauth4webapi)', () => {
  it('gets a token with client_secret_basic', async () => {
    const { clientId, clientSecret } = await makeHospitalClient(ctx.db, hospitalId, ['results:read']);
    await tokenWith(clientId, oauth.ClientSecretBasic(clientSecret));
  });

  it('gets a token with client_secret_post', async () => {
    const { clientId, clientSecret } = await makeHospitalClient(ctx.db, hospitalId, ['results:read']);
    await tokenWith(clientId, oauth.ClientSecretPost(clientSecret));
  });

  it('gets a token with private_key_jwt, its assertion addressed to the issuer, signed ES256 or Ed25519', async () => {
    for (const algorithm of ['ES256', 'Ed25519'] as const) {
      const { clientId, key } = await keyClient(algorithm);
      await tokenWith(clientId, oauth.PrivateKeyJwt(key));
    }
  });

  it('is refused with the challenge of the method it used', async () => {
    const { clientId } = await makeHospitalClient(ctx.db, hospitalId, ['results:read']);
    const as = await discover();
    const client = { client_id: clientId };
    const attempt = async (clientAuth: oauth.ClientAuth) => {
      const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, new URLSearchParams(), options);
      expect(response.status).toBe(401);
      expect(await response.clone().json()).toMatchObject({ error: 'invalid_client' });
      await expect(oauth.processClientCredentialsResponse(as, client, response.clone())).rejects.toThrow();
      return response;
    };
    expect((await attempt(oauth.ClientSecretBasic('wrong'))).headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await attempt(oauth.ClientSecretPost('wrong'))).headers.get('www-authenticate')).toBeNull();
  });
});
