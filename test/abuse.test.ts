import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAudience } from '../src/app.ts';
import { adminToken, basic, bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';

/**
 * One client must not degrade everyone: per-address, per-client and token-endpoint budgets answer
 * 429 with Retry-After (problem+json, or RFC 6749 JSON on the token endpoint) and are counted in
 * the metrics; a token must say it is an access token (typ at+jwt).
 */
let ctx: TestContext;
let client: { clientId: string; clientSecret: string };
let other: { clientId: string; clientSecret: string };

beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_PER_CLIENT: '3', RATE_LIMIT_PER_ADDRESS: '12', RATE_LIMIT_TOKEN_PER_ADDRESS: '3' });
  const hospital = await makeHospital(ctx.db);
  client = await makeHospitalClient(ctx.db, hospital);
  other = await makeHospitalClient(ctx.db, hospital);
});
afterAll(() => ctx.close());

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const tokenRequest = (credentials: { clientId: string; clientSecret: string }, remoteAddress: string) =>
  ctx.app.inject({
    method: 'POST',
    url: '/v1/oauth/token',
    remoteAddress,
    headers: { ...form, authorization: basic(credentials.clientId, credentials.clientSecret) },
    payload: 'grant_type=client_credentials',
  });

describe('rate limits', () => {
  it('limits the token endpoint per source address, answering in RFC 6749 JSON with Retry-After', async () => {
    for (let i = 0; i < 3; i += 1) expect((await tokenRequest(client, '10.1.0.1')).statusCode).toBe(200);
    const limited = await tokenRequest(client, '10.1.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await tokenRequest(client, '10.1.0.2')).statusCode).toBe(200);
  });

  it('limits each client once its token is verified, the others unaffected', async () => {
    const token = await tokenFor(ctx.app, client.clientId, client.clientSecret);
    const otherToken = (await tokenRequest(other, '10.2.0.9')).json().access_token as string;
    const read = (t: string, remoteAddress: string) => ctx.app.inject({ url: '/v1/hospitals', remoteAddress, headers: bearer(t) });
    for (let i = 0; i < 3; i += 1) expect((await read(token, `10.2.0.${i + 1}`)).statusCode).toBe(200);
    const limited = await read(token, '10.2.0.4');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(limited.json()).toMatchObject({ type: expect.stringMatching(/too-many-requests$/), status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await read(otherToken, '10.2.0.4')).statusCode).toBe(200);
  });

  it('limits each source address on every route but liveness, before any work', async () => {
    const answers = [];
    for (let i = 0; i < 13; i += 1) answers.push((await ctx.app.inject({ url: '/v1/nowhere', remoteAddress: '10.3.0.1' })).statusCode);
    expect(answers.slice(0, 12).every((status) => status === 404)).toBe(true);
    expect(answers[12]).toBe(429);
    expect((await ctx.app.inject({ url: '/healthz', remoteAddress: '10.3.0.1' })).statusCode).toBe(200);
    expect((await ctx.app.inject({ url: '/v1/nowhere', remoteAddress: '10.3.0.2' })).statusCode).toBe(404);
  });

  it('counts what it refused in the metrics', async () => {
    const text = (await ctx.app.inject({ url: '/metrics', headers: bearer(await adminToken(ctx.app)) })).body;
    expect(text).toMatch(/mre_rate_limited_requests_total\{limit="token-endpoint"\} [1-9]/);
    expect(text).toMatch(/mre_rate_limited_requests_total\{limit="client"\} [1-9]/);
    expect(text).toMatch(/mre_rate_limited_requests_total\{limit="address"\} [1-9]/);
  });
});

describe('behind a proxy (TRUST_PROXY)', () => {
  it('counts each client address the named proxy forwards, and ignores what another peer claims', async () => {
    const proxied = await createTestContext({ TRUST_PROXY: '10.0.0.5', RATE_LIMIT_TOKEN_PER_ADDRESS: '3' });
    try {
      const own = await makeHospitalClient(proxied.db, await makeHospital(proxied.db));
      const request = (peer: string, forwardedFor: string) =>
        proxied.app.inject({
          method: 'POST',
          url: '/v1/oauth/token',
          remoteAddress: peer,
          headers: { ...form, 'x-forwarded-for': forwardedFor, authorization: basic(own.clientId, own.clientSecret) },
          payload: 'grant_type=client_credentials',
        });
      for (let i = 0; i < 3; i += 1) expect((await request('10.0.0.5', '198.51.100.66')).statusCode).toBe(200);
      expect((await request('10.0.0.5', '198.51.100.66')).statusCode).toBe(429);
      // Another client behind the same proxy has its own budget.
      expect((await request('10.0.0.5', '203.0.113.9')).statusCode).toBe(200);
      // A peer that is not the proxy is counted as itself, whatever it forwards.
      for (let i = 0; i < 3; i += 1) expect((await request('10.7.0.1', `203.0.113.${20 + i}`)).statusCode).toBe(200);
      expect((await request('10.7.0.1', '203.0.113.30')).statusCode).toBe(429);
    } finally {
      await proxied.close();
    }
  });
});

describe('access tokens', () => {
  it('accepts only a JWT that says it is an access token (typ at+jwt, RFC 9068)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (typ: string | undefined) =>
      new SignJWT({ scope: 'results:read', client_id: other.clientId })
        .setProtectedHeader({ alg: 'ES256', kid: ctx.keys.signing.kid, ...(typ ? { typ } : {}) })
        .setIssuer(ctx.config.publicUrl)
        .setAudience(apiAudience(ctx.config.publicUrl))
        .setSubject(other.clientId)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(ctx.keys.signing.privateKey);
    const use = async (typ: string | undefined) =>
      (await ctx.app.inject({ url: '/v1/hospitals', remoteAddress: '10.4.0.1', headers: bearer(await sign(typ)) })).statusCode;
    expect(await use('at+jwt')).toBe(200);
    expect(await use('JWT')).toBe(401);
    expect(await use(undefined)).toBe(401);
  });
});
