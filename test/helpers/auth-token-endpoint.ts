import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { expect } from 'vitest';
import type { TestContext } from './context.ts';

const form = 'application/x-www-form-urlencoded';
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Requests to the token endpoint and clients that authenticate there with private_key_jwt, for the
 * test context that `context` returns (a test file's own, set in its `beforeAll`).
 */
export function tokenEndpointHelpers(context: () => TestContext) {
  /** A hospital client that authenticates with private_key_jwt, its JWKS registered in the clients table. */
  async function makeJwtClient(forHospital: string, scopes = ['results:read', 'recognition']) {
    const ctx = context();
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
    return `${context().config.publicUrl}/v1/oauth/token`;
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
    return context().app.inject({
      method: 'POST',
      url: '/v1/oauth/token',
      headers: { 'content-type': form, ...headers },
      payload: new URLSearchParams(params).toString(),
    });
  }

  function withAssertion(assertion: string, extra: Record<string, string> = {}) {
    return requestToken({ grant_type: 'client_credentials', client_assertion_type: assertionType, client_assertion: assertion, ...extra });
  }

  return { makeJwtClient, assertionFor, requestToken, withAssertion };
}

export function expectInvalidToken(response: LightMyRequestResponse) {
  expect(response.statusCode, response.body).toBe(401);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json()).toMatchObject({ status: 401, requestId: response.headers['x-request-id'] });
}
