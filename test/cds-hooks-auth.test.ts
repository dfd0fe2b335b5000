import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residentIdSystem, generateResidentId } from '../src/modules/patients/index.ts';
import { itemCodeSystem } from '../src/modules/registry/index.ts';
import { auditedRequest } from './helpers/audit.ts';
import { cdsJwt, orderSign, registerCdsClient, specResponse, type CdsClient, type JwtOptions } from './helpers/cds-hooks.ts';
import { adminToken, bearer } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient, makeItem } from './helpers/factories.ts';

let ctx: TestContext;
const now = new Date('2026-11-30T02:00:00Z');
let hospital: string;
let client: CdsClient;
let serviceUrl: string;
let body: object;

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.clock.set(now);
  hospital = await makeHospital(ctx.db);
  const ct = await makeItem(ctx.db, { category: 'ct' });
  client = await registerCdsClient(ctx.app, hospital);
  serviceUrl = `${ctx.config.publicUrl}/cds-services/${orderSign}`;
  body = {
    hook: 'order-sign',
    hookInstance: randomUUID(),
    context: {
      userId: 'Practitioner/example',
      patientId: '1288992',
      draftOrders: {
        resourceType: 'Bundle',
        entry: [
          {
            resource: {
              resourceType: 'ServiceRequest',
              id: 'ct-1',
              status: 'draft',
              code: { coding: [{ system: itemCodeSystem, code: ct }] },
            },
          },
        ],
      },
    },
    prefetch: {
      patient: {
        resourceType: 'Patient',
        id: '1288992',
        identifier: [{ system: residentIdSystem, value: generateResidentId('19800101') }],
      },
    },
  };
});
afterAll(() => ctx.close());

const adminHeaders = async () => bearer(await adminToken(ctx.app));

const post = (authorization: string | undefined, url = `/cds-services/${orderSign}`) =>
  ctx.app.inject({ method: 'POST', url, headers: authorization ? { authorization } : {}, payload: body });
const signed = async (options: Partial<JwtOptions> = {}, as: CdsClient = client) =>
  `Bearer ${await cdsJwt(as, { aud: serviceUrl, now, ...options })}`;

/** Disables a client as an administrator does (a row changed behind the service's back is forgotten only once its change is announced). */
async function disable(clientId: string) {
  const response = await ctx.app.inject({ method: 'POST', url: `/v1/clients/${clientId}/disable`, headers: await adminHeaders() });
  expect(response.statusCode).toBe(200);
}

/** A 401 problem+json with a Bearer challenge, whose detail says what was wrong. */
async function refused(response: Awaited<ReturnType<typeof post>>, detail: RegExp) {
  expect(response.statusCode, response.body).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="cds-hooks", error="invalid_token"/);
  expect(response.json()).toMatchObject({
    status: 401,
    type: expect.stringMatching(/unauthorized$/),
    detail: expect.stringMatching(detail),
  });
  const audit = await auditedRequest(ctx.db, String(response.headers['x-request-id']));
  expect(audit).toMatchObject({ action: 'recognition.check', outcome: 'refused', outcome_detail: '401 unauthorized' });
}

describe('CDS client authentication', () => {
  it('accepts a JWT signed by the hospital client, addressed to the service, used once', async () => {
    const response = await post(await signed());
    expect(response.statusCode, response.body).toBe(200);
    specResponse.parse(response.json());
  });

  it('refuses a call without a JWT, or with something else in the header', async () => {
    await refused(await post(undefined), /JWT is required/);
    await refused(await post('Basic dXNlcjpwYXNz'), /Bearer <JWT>/);
    await refused(await post('Bearer not-a-jwt'), /Bearer <JWT>/);
  });

  it('refuses a JWT whose signature does not verify with the registered keys', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    await refused(await post(await signed({ key: privateKey })), /signature does not verify/);
    await refused(await post(await signed({ kid: 'some-other-kid' })), /signature does not verify/);
  });

  it('refuses a JWT addressed to another URL (the discovery URL or another service)', async () => {
    await refused(await post(await signed({ aud: `${ctx.config.publicUrl}/cds-services` })), /aud must be the URL called/);
    await refused(await post(await signed({ aud: `${ctx.config.publicUrl}/cds-services/mutual-recognition-order-select` })), /aud/);
    // The URL called and nothing else: a JWT also addressed to another service could be replayed there.
    await refused(await post(await signed({ aud: [serviceUrl, 'https://other.example/cds-services/x'] })), /aud must be the URL called/);
  });

  it('refuses an expired JWT, one that lives longer than five minutes, and one issued in the future', async () => {
    await refused(await post(await signed({ now: new Date(now.getTime() - 301_000) })), /expired/);
    await refused(await post(await signed({ lifetimeSeconds: 3_600 })), /within five minutes/);
    await refused(await post(await signed({ iat: Math.floor(now.getTime() / 1000) + 120 })), /iat lies in the future/);
  });

  it('refuses a replayed jti, whatever the body', async () => {
    const authorization = await signed({ jti: `jti-${randomUUID()}` });
    expect((await post(authorization)).statusCode).toBe(200);
    await refused(await post(authorization), /used before/);
  });

  it('refuses an unknown issuer, a client without keys, and an HMAC or unsigned JWT', async () => {
    await refused(
      await post(await signed({ iss: 'no-such-client' })),
      /not the CDS issuer or the id of a hospital client registered with a JWKS/,
    );
    // An issuer no client could have registered (a NUL in it) is unknown too, not a request the database refuses.
    for (const iss of ['no-such\u0000client', 'https://ehr.example/\u0000'])
      await refused(await post(await signed({ iss })), /not the CDS issuer/);
    const secretClient = await makeHospitalClient(ctx.db, hospital, ['recognition']);
    await refused(await post(await signed({ iss: secretClient.clientId })), /registered with a JWKS/);
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: client.kid })
      .setIssuer(client.clientId)
      .setAudience(serviceUrl)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(now.getTime() / 1000) + 60)
      .setJti(randomUUID())
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
    await refused(await post(`Bearer ${hmac}`), /signed with one of/);
    const [header, payload] = hmac.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    await refused(await post(`Bearer ${none}`), /Bearer <JWT>|not a valid/);
    expect(header).toBeTruthy();
  });

  it('refuses a typ header other than JWT, whatever its JSON type, or none, and a JWT that names no key (kid)', async () => {
    await refused(await post(await signed({ typ: 'at+jwt' })), /typ header must be JWT/);
    await refused(await post(await signed({ typ: 5 })), /typ header must be JWT/);
    // CDS Hooks 2.0 requires both header parameters.
    await refused(await post(await signed({ typ: null })), /typ header must be JWT/);
    await refused(await post(await signed({ kid: null })), /kid/);
  });

  it('refuses a disabled client', async () => {
    const other = await registerCdsClient(ctx.app, hospital);
    await disable(other.clientId);
    await refused(await post(await signed({}, other)), /not the CDS issuer or the id of a hospital client/);
  });

  it('accepts the CDS issuer a client registered as iss (an EHR names itself by its URL), and its client id', async () => {
    // The issuer of the specification's example JWT.
    const ehr = await registerCdsClient(ctx.app, hospital, ['recognition'], 'ES384', 'https://fhir-ehr.example.com/');
    expect((await post(await signed({}, ehr))).statusCode).toBe(200);
    expect((await post(await signed({ iss: ehr.clientId }, ehr))).statusCode).toBe(200);
    // Another URL, or the same with a different spelling, is no one's.
    await refused(await post(await signed({ iss: 'https://fhir-ehr.example.com' }, ehr)), /not the CDS issuer/);
    await refused(await post(await signed({ iss: 'https://other-ehr.example.com/' }, ehr)), /not the CDS issuer/);
    // Another client's keys do not sign for this issuer.
    await refused(await post(await signed({ iss: 'https://fhir-ehr.example.com/' }, client)), /signature does not verify/);
    // Disabled through the API, which forgets the cached client before answering: refused at once, by issuer as by id.
    await disable(ehr.clientId);
    await refused(await post(await signed({}, ehr)), /not the CDS issuer/);
  });

  it('registers a CDS issuer only with keys, only as an http(s) URI, and only once', async () => {
    const register = async (payload: object) =>
      ctx.app.inject({ method: 'POST', url: `/v1/hospitals/${hospital}/clients`, headers: await adminHeaders(), payload });
    const issuer = `https://ehr-${randomUUID()}.example.org/fhir`;
    const first = await registerCdsClient(ctx.app, hospital, ['recognition'], 'ES384', issuer);
    const listed = await ctx.app.inject({ method: 'GET', url: `/v1/hospitals/${hospital}/clients`, headers: await adminHeaders() });
    expect(listed.json().clients).toContainEqual(expect.objectContaining({ clientId: first.clientId, cdsIssuer: issuer }));
    const jwks = { keys: [{ ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'k1' }] };
    const taken = await register({ jwks, cdsIssuer: issuer, scopes: ['recognition'] });
    expect(taken.statusCode, taken.body).toBe(409);
    expect(taken.json().detail).toBe(`CDS issuer ${issuer} is another client's`);
    const withoutKeys = await register({ cdsIssuer: `${issuer}/2` });
    expect(withoutKeys.statusCode).toBe(400);
    expect(withoutKeys.json().errors).toEqual([{ field: 'cdsIssuer', message: 'needs jwks' }]);
    for (const cdsIssuer of ['fhir-ehr.example.com', 'urn:oid:1.2.3', 'https://', `https://${'a'.repeat(250)}.org`]) {
      const response = await register({ jwks, cdsIssuer });
      expect(response.statusCode, cdsIssuer).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    // Nothing of the refused registrations was stored.
    const rows = await ctx.db.selectFrom('clients').select('client_id').where('cds_issuer', 'like', `${issuer}%`).execute();
    expect(rows).toEqual([{ client_id: first.clientId }]);
  });

  it('is 403 for a client that may not run recognition checks', async () => {
    const reader = await registerCdsClient(ctx.app, hospital, ['results:read']);
    const response = await post(await signed({}, reader));
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ status: 403, detail: 'This client is not granted the recognition scope' });
  });

  it('authenticates feedback with a JWT addressed to the feedback URL or to the service', async () => {
    const feedback = { feedback: [{ card: randomUUID(), outcome: 'overridden', overrideReason: {}, outcomeTimestamp: now.toISOString() }] };
    for (const aud of [`${serviceUrl}/feedback`, serviceUrl]) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: `/cds-services/${orderSign}/feedback`,
        headers: { authorization: await signed({ aud }) },
        payload: feedback,
      });
      // Authenticated: refused for what it says (a card this service never answered), not for who sent it.
      expect(response.statusCode).toBe(404);
      expect(response.json().detail).toMatch(/^No card /);
    }
    const wrong = await ctx.app.inject({
      method: 'POST',
      url: `/cds-services/${orderSign}/feedback`,
      headers: { authorization: await signed({ aud: `${ctx.config.publicUrl}/cds-services/mutual-recognition-order-select/feedback` }) },
      payload: feedback,
    });
    expect(wrong.statusCode).toBe(401);
  });
});
