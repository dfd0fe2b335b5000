import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import fc from 'fast-check';
import { hospitalScopes } from '../../src/modules/auth/actor.ts';
import { generateResidentId, residentIdSystem } from '../../src/modules/patients/index.ts';
import { itemCodeSystem, localCodeSystem } from '../../src/modules/registry/index.ts';
import { enqueueWebhookEvent } from '../../src/modules/webhooks/index.ts';
import { adminToken, bearer, tokenFor } from './auth.ts';
import type { TestContext } from './context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeScope } from './factories.ts';
import type { Hint, JsonSchema } from './fuzz-schema.ts';
import { ctSubmission } from './results.ts';

/**
 * A small registry the fuzzed requests can succeed against: a receiving and an issuing hospital,
 * both certified in a national scope for a CT item and a lab panel, a local code, a result of the
 * issuer for a patient, and a recognition check of the receiver that found it. Hints steer the
 * generated values towards these names, so that a fair share of requests get past the look-ups.
 */
export interface FuzzWorld {
  tokens: { admin: string; hospital: string };
  receiver: string;
  issuer: string;
  ct: string;
  lab: string;
  scope: string;
  localCode: string;
  patientId: string;
  checkId: string;
  candidateIds: string[];
  ownAccession: string;
  /** A client the fuzzed disable route may disable: never the one whose token the suite uses. */
  spareClientId: string;
  /** The credentials the token endpoint is fuzzed with (a lock-out of this client harms no other test). */
  tokenClient: { clientId: string; clientSecret: string };
  /** The receiver's webhook endpoint, and a failed delivery to it. */
  endpointId: string;
  deliveryId: string;
  /** A recall of the receiver: the issuer amended a result the receiver recognised. */
  recallId: string;
  /** The receiver's CDS client (its EHR): a fresh, single-use JWT for the URL path called, as its Authorization header. */
  cdsAuthorization: (path: string) => Record<string, string>;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A hospital client registered with an ES384 key, and a signer of CDS Hooks JWTs for it (synchronous, for the case builder). */
async function cdsClient(ctx: TestContext, hospitalId: string): Promise<FuzzWorld['cdsAuthorization']> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const clientId = `${hospitalId}-ehr`;
  const kid = randomUUID();
  const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES384', use: 'sig' }] };
  await ctx.db
    .insertInto('clients')
    .values({ client_id: clientId, hospital_id: hospitalId, scopes: ['recognition'], secret_hash: null, jwks: JSON.stringify(jwks) })
    .execute();
  return (path) => {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'ES384', typ: 'JWT', kid }));
    const claims = { iss: clientId, aud: `${ctx.config.publicUrl}${path}`, iat: now, exp: now + 300, jti: randomUUID() };
    const input = `${header}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha384', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return { authorization: `Bearer ${input}.${base64url(signature)}` };
  };
}

/** Webhook URLs that need no DNS: public address literals. */
const webhookUrls = ['https://93.184.215.14/hooks', 'https://[2606:4700:4700::1111]/recalls?from=exchange'];

async function call(ctx: TestContext, method: 'PUT' | 'POST', url: string, token: string, payload: object) {
  const response = await ctx.app.inject({ method, url, headers: bearer(token), payload });
  if (response.statusCode >= 300) throw new Error(`${method} ${url} answered ${response.statusCode}: ${response.body}`);
  return response.json<Record<string, unknown>>();
}

export async function buildFuzzWorld(ctx: TestContext): Promise<FuzzWorld> {
  const { db, app } = ctx;
  const receiver = await makeHospital(db, { tier: 'tertiary', city: 'Hangzhou', priceTier: 'T1' });
  const issuer = await makeHospital(db, { tier: 'secondary', city: 'Hangzhou', priceTier: 'T2' });
  const ct = await makeItem(db, { category: 'ct' });
  const lab = await makeItem(db, { category: 'lab', analytes: ['ALT', 'AST'], radiationMsv: null });
  const scope = await makeScope(db, { level: 'national' });
  for (const hospitalId of [receiver, issuer]) await certify(db, { hospitalId, scopeId: scope });
  const localCode = `LOC-${ct}`;
  await db.insertInto('code_maps').values({ hospital_id: receiver, local_code: localCode, item_code: ct }).execute();

  const receiverClient = await makeHospitalClient(db, receiver);
  const issuerClient = await makeHospitalClient(db, issuer);
  const hospital = await tokenFor(app, receiverClient.clientId, receiverClient.clientSecret);
  const issuerToken = await tokenFor(app, issuerClient.clientId, issuerClient.clientSecret);
  const patientId = generateResidentId('19800101', '330106', '123');
  const performedAt = new Date(Date.now() - 86_400_000).toISOString();
  await call(ctx, 'PUT', '/v1/results/FZ-ISSUED-1', issuerToken, ctSubmission(patientId, ct, { performedAt, reportedAt: performedAt }));
  const ownAccession = 'FZ-OWN-1';
  await call(ctx, 'PUT', `/v1/results/${ownAccession}`, hospital, ctSubmission(patientId, ct, { performedAt, reportedAt: performedAt }));
  const check = (await call(ctx, 'POST', '/v1/recognition-checks', hospital, {
    practitionerId: 'DR-FUZZ',
    patient: { idType: 'resident_id', idNumber: patientId },
    items: [ct],
    purpose: 'treatment',
  })) as { checkId: string; items: { candidates: { resultId: string; issuingHospitalId: string }[] }[] };
  const issued = check.items[0].candidates.find((c) => c.issuingHospitalId === issuer)!.resultId;
  await call(ctx, 'POST', `/v1/recognition-checks/${check.checkId}/decisions`, hospital, {
    decisions: [{ resultId: issued, action: 'recognized' }],
  });
  const amendment = ctSubmission(patientId, ct, { performedAt, reportedAt: performedAt, findings: 'Amended after review.' });
  await call(ctx, 'PUT', '/v1/results/FZ-ISSUED-1', issuerToken, amendment);
  const recalls = await app.inject({ method: 'GET', url: '/v1/recalls', headers: bearer(hospital) });
  const recallId = (recalls.json() as { recalls: { recallId: string }[] }).recalls[0].recallId;
  const endpoint = await call(ctx, 'POST', '/v1/webhook-endpoints', hospital, { url: webhookUrls[0] });
  const eventId = randomUUID();
  await db
    .transaction()
    .execute((trx) =>
      enqueueWebhookEvent(trx, { hospitalId: receiver, eventType: 'recall.created', eventId, payload: {}, now: new Date() }),
    );
  const delivery = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', attempts: 8 })
    .where('event_id', '=', eventId)
    .returning('id')
    .executeTakeFirstOrThrow();

  return {
    tokens: { admin: await adminToken(app), hospital },
    receiver,
    issuer,
    ct,
    lab,
    scope,
    localCode,
    patientId,
    checkId: check.checkId,
    candidateIds: check.items.flatMap((i) => i.candidates.map((c) => c.resultId)),
    ownAccession,
    spareClientId: (await makeHospitalClient(db, issuer)).clientId,
    tokenClient: await makeHospitalClient(db, receiver),
    endpointId: String(endpoint.id),
    deliveryId: delivery.id,
    recallId,
    cdsAuthorization: await cdsClient(ctx, receiver),
  };
}

/** A hint that applies only where the schema has the given type (one name may mean a string here, a list there). */
const when =
  (type: string, arbitrary: fc.Arbitrary<unknown>): Hint =>
  (schema: JsonSchema) =>
    [schema.type].flat().includes(type) ? arbitrary : undefined;

type Body = Record<string, unknown>;

/** A hint that puts right, on a generated object, a rule across fields that JSON Schema cannot state. */
const repair =
  (fix: (body: Body, choice: boolean) => Body): Hint =>
  (_schema, derived) =>
    fc
      .tuple(derived, fc.boolean())
      .map(([body, choice]) => (body !== null && typeof body === 'object' ? fix({ ...(body as Body) }, choice) : body));

function without(body: Body, ...keys: string[]): Body {
  for (const key of keys) delete body[key];
  return body;
}

/** A reason for a decline only, and free text with D6_OTHER; no item code (each candidate result stands for one item). */
function repairDecision(decision: Body): Body {
  const d = without({ ...decision }, 'itemCode');
  if (d.action === 'recognized') return without(d, 'reasonCode', 'reasonText');
  d.reasonCode ??= 'D7_PATIENT_REQUEST';
  if (d.reasonCode === 'D6_OTHER') d.reasonText ??= 'other';
  return d;
}

/** Repairs by schema component (or property) name, so that a fair share of generated bodies is accepted. */
function repairs(world: FuzzWorld): Record<string, Hint> {
  // Exactly one of itemCode and localCode; reportedAt not before performedAt.
  const submission = repair((b, viaLocalCode) => {
    if (viaLocalCode) return { ...without(b, 'itemCode', 'reportedAt'), localCode: world.localCode };
    return { ...without(b, 'localCode'), itemCode: b.itemCode ?? world.ct, reportedAt: b.performedAt };
  });
  return {
    ResultSubmissionInput: submission,
    BatchResultItemInput: submission,
    // A region for city and province scopes only (a province for a city), members for consortia and alliances only.
    ScopeDefinitionInput: repair((b) => {
      const regional = b.level === 'city' || b.level === 'province';
      const grouped = b.level === 'consortium' || b.level === 'alliance';
      if (!regional) delete b.region;
      if (b.level !== 'city') delete b.province;
      if (!grouped) delete b.members;
      if (regional) b.region ??= 'Hangzhou';
      if (grouped) b.members ??= [world.receiver, world.issuer];
      return b;
    }),
    // Analytes for lab items only; at least one price.
    ItemDefinitionInput: repair((b) => {
      if (b.category !== 'lab') delete b.analytes;
      if (Object.keys(b.prices ?? {}).length === 0) b.prices = { T1: 120 };
      return b;
    }),
    CertificationEventDraftInput: repair((b, keepItem) => (b.itemCode && b.category ? without(b, keepItem ? 'category' : 'itemCode') : b)),
    // A generated JWKS is never a usable key: most registrations go without one (a secret is generated).
    ClientRegistrationInput: repair((b, keepJwks) => (keepJwks ? b : without(b, 'jwks'))),
    // One authentication method: the Basic header, or client_secret_post in the body.
    TokenRequestInput: repair((b, post) => without(b, 'client_assertion', 'client_assertion_type', ...(post ? [] : ['client_secret']))),
    // A period that runs forwards.
    WhatIfRequestInput: repair((b) => (String(b.from) > String(b.to) ? { ...b, from: b.to, to: b.from } : b)),
    // An order-sign call about the world's patient with a draft order for the CT (by catalogue or local code).
    CdsHooksRequestInput: repair((b, byLocalCode) => {
      const order = {
        resourceType: 'ServiceRequest',
        id: 'fuzz-order',
        code: {
          coding: [
            byLocalCode ? { system: localCodeSystem(world.receiver), code: world.localCode } : { system: itemCodeSystem, code: world.ct },
          ],
        },
      };
      const context = (b.context ?? {}) as Body;
      const entries = ((context.draftOrders as Body | undefined)?.entry as Body[] | undefined) ?? [];
      return {
        ...b,
        hook: 'order-sign',
        context: {
          ...context,
          userId: 'Practitioner/dr-fuzz',
          selections: [...((context.selections as string[] | undefined) ?? []), 'ServiceRequest/fuzz-order'],
          draftOrders: { resourceType: 'Bundle', entry: [...entries, { resource: order }] },
        },
        prefetch: { patient: { resourceType: 'Patient', identifier: [{ system: residentIdSystem, value: world.patientId }] } },
      };
    }),
    decisions: (schema, derived) => (schema.type === 'array' ? derived.map((list) => (list as Body[]).map(repairDecision)) : undefined),
  };
}

export function fuzzHints(world: FuzzWorld): Record<string, Hint> {
  const hospitals = fc.constantFrom(world.receiver, world.issuer);
  const codes = fc.subarray([world.ct, world.lab, world.localCode], { minLength: 1 });
  const freshPatient = fc.integer({ min: 0, max: 999 }).map((n) => generateResidentId('19750315', '330106', String(n).padStart(3, '0')));
  return {
    hospitalId: when('string', hospitals),
    members: when('array', fc.subarray([world.receiver, world.issuer], { minLength: 1 })),
    scopeId: when('string', fc.constant(world.scope)),
    itemCode: when('string', fc.constantFrom(world.ct, world.lab)),
    items: when('array', codes),
    itemCodes: when('array', codes),
    localCode: when('string', fc.constant(world.localCode)),
    patient: when(
      'object',
      fc.oneof(fc.constant(world.patientId), freshPatient).map((idNumber) => ({ idType: 'resident_id', idNumber })),
    ),
    accessionNo: when(
      'string',
      fc.oneof(
        fc.constant(world.ownAccession),
        fc.nat().map((n) => `FZ-${n}`),
      ),
    ),
    resultId: when('string', fc.constantFrom(...world.candidateIds)),
    checkId: when('string', fc.constant(world.checkId)),
    purpose: when('string', fc.constant('treatment')),
    // A cursor only this service issues: mostly left out, as a made-up one is refused before anything is read.
    cursor: when('string', fc.constant(undefined)),
    clientId: when('string', fc.constant(world.spareClientId)),
    url: when('string', fc.constantFrom(...webhookUrls)),
    endpointId: when('string', fc.constant(world.endpointId)),
    deliveryId: when('string', fc.constant(world.deliveryId)),
    recallId: when('string', fc.constant(world.recallId)),
    issuer: when('string', fc.constant(world.issuer)),
    grant_type: when('string', fc.constant('client_credentials')),
    client_id: when('string', fc.constant(world.tokenClient.clientId)),
    client_secret: when('string', fc.constant(world.tokenClient.clientSecret)),
    scope: when(
      'string',
      fc.subarray([...hospitalScopes]).map((scopes) => scopes.join(' ')),
    ),
    ...repairs(world),
  };
}
