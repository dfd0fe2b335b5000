import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedRequest } from './helpers/audit.ts';
import {
  accessWorld,
  checkBody,
  get,
  hospitalReader,
  keyOf,
  post,
  requestIdOf,
  resident,
  searchBody,
  sleep,
  tokenRequest,
} from './helpers/access.ts';
import { adminToken } from './helpers/auth.ts';
import { adminCredentials, createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';
import { ctSubmission, dumpDatabase, putResult, residentId } from './helpers/results.ts';

let ctx: TestContext;
let world: Awaited<ReturnType<typeof accessWorld>>;
let admin: string;
let resultId: string;
const patient = residentId('19650101');
const accession = 'ACC-AUDIT-1';

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.clock.set('2026-11-29T02:00:00Z');
  world = await accessWorld(ctx);
  admin = await adminToken(ctx.app);
  const put = await putResult(ctx.app, world.issuerClient.token, accession, ctSubmission(patient, world.ct));
  expect(put.statusCode).toBe(201);
  resultId = put.json().resultId;
});
afterAll(() => ctx.close());

const check = (token: string, extra: Record<string, unknown> = {}) =>
  post(ctx, '/v1/recognition-checks', checkBody(patient, [world.ct], extra), token);
const decide = (token: string, checkId: string) =>
  post(ctx, `/v1/recognition-checks/${checkId}/decisions`, { decisions: [{ resultId, action: 'recognized' }] }, token);

// Rule: every disclosure of patient data is recorded with who, what, why, from where and by which request.
describe('successful accesses to patient data', () => {
  it('records a search, a check, a read by accession, a decision and an audit search, each with its query', async () => {
    const search = await post(
      ctx,
      '/v1/results/search',
      searchBody(patient, { itemCodes: [world.ct], since: '2026-11-01T00:00:00Z' }),
      world.receiverClient.token,
    );
    const checked = await check(world.receiverClient.token);
    const checkId = checked.json().checkId;
    const read = await get(ctx, `/v1/results/${accession}`, world.issuerClient.token);
    const decided = await decide(world.receiverClient.token, checkId);
    const audit = await post(ctx, '/v1/audit-events/search', { patient: resident(patient) }, admin);
    expect([search, checked, read, decided, audit].map((r) => r.statusCode)).toEqual([200, 201, 200, 201, 200]);

    const receiver = { client_id: world.receiverClient.clientId, hospital_id: world.receiver };
    const expected: [typeof search, Record<string, unknown>][] = [
      [
        search,
        {
          action: 'results.search',
          ...receiver,
          practitioner_id: 'DR-SEARCH',
          purpose: 'treatment',
          check_id: null,
          result_ids: [resultId],
          query: { itemCodes: [world.ct], since: '2026-11-01T00:00:00.000Z', cursor: null },
        },
      ],
      [
        checked,
        {
          action: 'recognition.check',
          ...receiver,
          practitioner_id: 'DR-CHECK',
          purpose: 'treatment',
          check_id: checkId,
          result_ids: [resultId],
          query: { items: [world.ct], context: null },
        },
      ],
      [
        read,
        {
          action: 'results.read',
          client_id: world.issuerClient.clientId,
          hospital_id: world.issuer,
          check_id: null,
          result_ids: [resultId],
          query: { accessionNo: accession },
        },
      ],
      [
        decided,
        {
          action: 'recognition.decision',
          ...receiver,
          practitioner_id: 'DR-CHECK',
          purpose: 'treatment',
          check_id: checkId,
          result_ids: [resultId],
          query: { decisions: [{ resultId, action: 'recognized', reasonCode: null }] },
        },
      ],
      [audit, { action: 'audit.search', client_id: adminCredentials.clientId, hospital_id: null, query: { since: null, until: null } }],
    ];
    for (const [response, fields] of expected) {
      const event = await auditedRequest(ctx.db, requestIdOf(response));
      expect(event).toMatchObject({
        ...fields,
        outcome: 'success',
        outcome_detail: null,
        patient_key: keyOf(patient),
        source_address: '127.0.0.1',
        request_id: requestIdOf(response),
      });
    }
  });
});

// Rule: a refused attempt on a patient-data endpoint is recorded too (outcome refused, and why), once its answer is sent.
describe('refused attempts', () => {
  it('records no token, a missing scope, a wrong purpose, a malformed body, another hospital’s result or check', async () => {
    const reader = await world.client(world.receiver, ['reports:read']);
    const checkId = (await check(world.receiverClient.token)).json().checkId;
    const cases: [string, () => ReturnType<typeof post>, number, Record<string, unknown>][] = [
      [
        'no token',
        () => post(ctx, '/v1/results/search', searchBody(patient)),
        401,
        { action: 'results.search', outcome_detail: '401 unauthorized', client_id: null, hospital_id: null, patient_key: null },
      ],
      [
        'a token without the recognition scope',
        () => check(reader.token),
        403,
        { action: 'recognition.check', outcome_detail: '403 forbidden', client_id: reader.clientId, hospital_id: world.receiver },
      ],
      [
        'a purpose other than treatment',
        () => post(ctx, '/v1/results/search', searchBody(patient, { purpose: 'research' }), world.receiverClient.token),
        403,
        {
          action: 'results.search',
          outcome_detail: '403 forbidden',
          purpose: 'research',
          practitioner_id: 'DR-SEARCH',
          patient_key: keyOf(patient),
          result_ids: [],
        },
      ],
      [
        'a malformed body',
        () => post(ctx, '/v1/recognition-checks', { items: [] }, world.receiverClient.token),
        400,
        {
          action: 'recognition.check',
          outcome_detail: '400 validation',
          client_id: world.receiverClient.clientId,
          query: { items: [] },
          patient_key: null,
        },
      ],
      [
        'a read of another hospital’s result',
        () => get(ctx, `/v1/results/${accession}`, world.receiverClient.token),
        404,
        { action: 'results.read', outcome_detail: '404 not-found', query: { accessionNo: accession }, result_ids: [] },
      ],
      [
        'a decision on another hospital’s check',
        () => decide(world.issuerClient.token, checkId),
        403,
        { action: 'recognition.decision', outcome_detail: '403 forbidden', client_id: world.issuerClient.clientId, check_id: checkId },
      ],
      [
        'an audit search by a hospital',
        () => post(ctx, '/v1/audit-events/search', { patient: resident(patient) }, world.receiverClient.token),
        403,
        { action: 'audit.search', outcome_detail: '403 forbidden', client_id: world.receiverClient.clientId },
      ],
    ];
    for (const [name, send, status, fields] of cases) {
      const response = await send();
      expect(response.statusCode, name).toBe(status);
      const event = await auditedRequest(ctx.db, requestIdOf(response));
      expect(event, name).toMatchObject({ ...fields, outcome: 'refused', source_address: '127.0.0.1', request_id: requestIdOf(response) });
      expect(JSON.stringify(event), name).not.toContain(patient); // the identity itself is never stored
    }
  });

  it('never stores an ID number, even one the caller put in the wrong place', async () => {
    const misplaced = residentId('19551111');
    // A plausible integration mistake: the patient flattened into the body.
    const response = await post(
      ctx,
      '/v1/results/search',
      { idType: 'resident_id', idNumber: misplaced, practitionerId: 'DR-1', purpose: 'treatment' },
      world.receiverClient.token,
    );
    expect(response.statusCode).toBe(400);
    expect(await auditedRequest(ctx.db, requestIdOf(response))).toMatchObject({
      action: 'results.search',
      outcome: 'refused',
      outcome_detail: '400 validation',
    });
    expect(await dumpDatabase(ctx.db)).not.toContain(misplaced);
  });

  it('does not audit a 429: a flood of refusals never becomes a flood of writes', async () => {
    const limited = await createTestContext({ RATE_LIMIT_PER_CLIENT: '3' });
    try {
      const { token } = await hospitalReader(limited);
      const search = () => post(limited, '/v1/results/search', searchBody(patient), token);
      for (let i = 0; i < 3; i += 1) expect((await search()).statusCode).toBe(200);
      const shed = await search();
      expect(shed.statusCode).toBe(429);
      // A refusal sent after the 429 is recorded; by then the 429 would have been too.
      const sentinel = await post(limited, '/v1/results/search', searchBody(patient));
      await auditedRequest(limited.db, requestIdOf(sentinel));
      await sleep(100);
      const refused = await limited.db
        .selectFrom('audit_events')
        .select(['request_id', 'outcome_detail'])
        .where('outcome', '=', 'refused')
        .execute();
      expect(refused).toEqual([{ request_id: requestIdOf(sentinel), outcome_detail: '401 unauthorized' }]);
    } finally {
      await limited.close();
    }
  });
});

// Rule: every failed client authentication is audited; a (client, address) pair that keeps failing is locked out.
describe('failed client authentications', () => {
  let locking: TestContext;
  beforeAll(async () => void (locking = await createTestContext({ AUTH_MAX_FAILURES: '3', AUTH_LOCKOUT_SECONDS: '60' })));
  afterAll(() => locking.close());

  const token = (clientId: string, secret: string, remoteAddress?: string) => tokenRequest(locking, clientId, secret, remoteAddress);

  it('records each failure, then the lock-out, and refuses even the right secret from that address', async () => {
    const hospital = await makeHospital(locking.db);
    const { clientId, clientSecret } = await makeHospitalClient(locking.db, hospital);
    const details: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await token(clientId, 'wrong-secret-0123456789');
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toBe('invalid_client');
      const event = await auditedRequest(locking.db, requestIdOf(response));
      expect(event).toMatchObject({
        action: 'auth.token',
        outcome: 'refused',
        client_id: clientId,
        hospital_id: hospital,
        source_address: '127.0.0.1',
        query: { claimedClientId: clientId, method: 'client_secret_basic' },
      });
      details.push(event.outcome_detail!);
    }
    expect(details.slice(0, 2)).toEqual(['invalid_client', 'invalid_client']);
    expect(details[2]).toContain('locked out');

    const locked = await token(clientId, clientSecret);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toMatch(/^([1-9]|[1-5]\d|60)$/); // at most AUTH_LOCKOUT_SECONDS
    expect(locked.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(await auditedRequest(locking.db, requestIdOf(locked))).toMatchObject({
      action: 'auth.token',
      outcome: 'refused',
      outcome_detail: 'locked-out',
    });

    // The lock-out is per client and address: the hospital elsewhere still gets its token.
    expect((await token(clientId, clientSecret, '10.20.30.40')).statusCode).toBe(200);
  });

  it('records the claimed id of an unknown client, without a client', async () => {
    const response = await token('no-such-client', 'whatever-secret-0123');
    expect(response.statusCode).toBe(401);
    expect(await auditedRequest(locking.db, requestIdOf(response))).toMatchObject({
      action: 'auth.token',
      outcome: 'refused',
      outcome_detail: 'invalid_client',
      client_id: null,
      hospital_id: null,
      query: { claimedClientId: 'no-such-client' },
    });
  });
});

// Rule: administrators can filter the trail and see every new field, never the patient key.
describe('GET /v1/audit-events', () => {
  it('filters by client, action and outcome and shows outcome, source, request id and query', async () => {
    const client = await world.client(world.receiver);
    const ok = await check(client.token);
    const refused = await check(client.token, { purpose: 'research' });
    await auditedRequest(ctx.db, requestIdOf(refused));
    const list = (query: Record<string, string>) => get(ctx, `/v1/audit-events?${new URLSearchParams(query)}`, admin);

    const all = await list({ clientId: client.clientId });
    expect(all.json().events.map((e: { outcome: string }) => e.outcome)).toEqual(['refused', 'success']);
    const successes = await list({ clientId: client.clientId, action: 'recognition.check', outcome: 'success' });
    expect(successes.json().events).toEqual([
      expect.objectContaining({
        action: 'recognition.check',
        outcome: 'success',
        outcomeDetail: null,
        clientId: client.clientId,
        hospitalId: world.receiver,
        checkId: ok.json().checkId,
        sourceAddress: '127.0.0.1',
        requestId: requestIdOf(ok),
        query: { items: [world.ct], context: null },
      }),
    ]);
    const refusals = await list({ clientId: client.clientId, outcome: 'refused' });
    expect(refusals.json().events).toEqual([
      expect.objectContaining({ outcome: 'refused', outcomeDetail: '403 forbidden', purpose: 'research', requestId: requestIdOf(refused) }),
    ]);
    const otherAction = await list({ clientId: client.clientId, action: 'results.search' });
    expect(otherAction.json().events).toEqual([]);

    const byPatient = await post(ctx, '/v1/audit-events/search', { patient: resident(patient) }, admin);
    for (const response of [all, successes, refusals, byPatient, await list({})]) {
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain(keyOf(patient));
      expect(response.body).not.toMatch(/[0-9a-f]{64}/);
    }
  });
});

// Rule: per client and Asia/Shanghai day, volumes and distinct patients; more patients than the threshold is unusual.
describe('access volumes and the patients a client was given', () => {
  let vol: TestContext;
  let admin2: string;
  type Reader = Awaited<ReturnType<typeof hospitalReader>>;
  let busy: Reader, border: Reader, quiet: Reader;
  const busyPatients = [residentId('19700101'), residentId('19700202'), residentId('19700303')];
  const borderPatients = [residentId('19750101'), residentId('19750202')];
  const quietPatient = residentId('19800404');
  const refusedPatient = residentId('19800505');

  beforeAll(async () => {
    vol = await createTestContext({ AUDIT_UNUSUAL_PATIENTS_PER_DAY: '2' });
    vol.clock.set('2026-11-28T17:00:00Z'); // 01:00 on 29 November in Shanghai
    admin2 = await adminToken(vol.app);
    [busy, border, quiet] = [await hospitalReader(vol), await hospitalReader(vol), await hospitalReader(vol)];
    const search = (who: Reader, idNumber: string, purpose = 'treatment') =>
      post(vol, '/v1/results/search', searchBody(idNumber, { purpose }), who.token);
    // The busy client's searches one minute apart, its first patient twice.
    for (const idNumber of [...busyPatients, busyPatients[0]]) {
      vol.clock.advance(60_000);
      expect((await search(busy, idNumber)).statusCode).toBe(200);
    }
    for (const idNumber of borderPatients) expect((await search(border, idNumber)).statusCode).toBe(200);
    expect((await search(quiet, quietPatient)).statusCode).toBe(200);
    const refused = await search(quiet, refusedPatient, 'research');
    expect(refused.statusCode).toBe(403);
    await auditedRequest(vol.db, requestIdOf(refused));
  });
  afterAll(() => vol.close());

  const volumes = (query: string, token = admin2) => get(vol, `/v1/audit-events/volumes?${query}`, token);

  it('counts events, refusals and distinct patients per client and Shanghai day, flagging the unusual', async () => {
    const response = await volumes('from=2026-11-29&to=2026-11-29');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      from: '2026-11-29',
      to: '2026-11-29',
      unusualPatientsPerDay: 2,
      rows: [
        { day: '2026-11-29', clientId: busy.clientId, hospitalId: busy.hospital, events: 4, unsuccessful: 0, patients: 3, unusual: true },
        {
          day: '2026-11-29',
          clientId: border.clientId,
          hospitalId: border.hospital,
          events: 2,
          unsuccessful: 0,
          patients: 2,
          unusual: false,
        },
        {
          day: '2026-11-29',
          clientId: quiet.clientId,
          hospitalId: quiet.hospital,
          events: 2,
          unsuccessful: 1,
          patients: 1,
          unusual: false,
        },
      ],
    });
    expect((await volumes('from=2026-11-28&to=2026-11-28')).json().rows).toEqual([]); // the UTC day holds nothing
    expect((await volumes('')).json()).toMatchObject({
      from: '2026-11-23',
      to: '2026-11-29',
      rows: [{ clientId: busy.clientId }, { clientId: border.clientId }, { clientId: quiet.clientId }],
    });
    expect((await volumes(`clientId=${quiet.clientId}`)).json().rows).toEqual([expect.objectContaining({ clientId: quiet.clientId })]);
    expect((await volumes('from=2026-08-30&to=2026-11-29')).statusCode).toBe(200); // 92 days
  });

  it('refuses a reversed, too long or out-of-range period, and hospital clients', async () => {
    for (const query of ['from=2026-11-30&to=2026-11-29', 'from=2026-08-29&to=2026-11-29', 'from=9999-12-31']) {
      const response = await volumes(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await volumes('', quiet.token)).statusCode).toBe(403);
  });

  it('lists the patients a client was given, each once across pages, refusals excluded', async () => {
    const pages = async (clientId: string, limit: number) => {
      const seen: { patientKey: string; events: number; firstAt: string; lastAt: string }[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ from: '2026-11-29', to: '2026-11-29', limit: String(limit), ...(cursor ? { cursor } : {}) });
        const response = await get(vol, `/v1/audit-events/clients/${clientId}/patients?${query}`, admin2);
        expect(response.statusCode).toBe(200);
        expect(response.json().patients.length).toBeLessThanOrEqual(limit);
        seen.push(...response.json().patients);
        cursor = response.json().nextCursor;
      } while (cursor);
      return seen;
    };
    const busyKeys = busyPatients.map(keyOf);
    const seen = await pages(busy.clientId, 2);
    expect(seen.map((p) => p.patientKey)).toEqual([...busyKeys].sort());
    expect(seen.find((p) => p.patientKey === busyKeys[0])).toEqual({
      patientKey: busyKeys[0],
      events: 2,
      firstAt: '2026-11-28T17:01:00.000Z',
      lastAt: '2026-11-28T17:04:00.000Z',
    });
    expect((await pages(quiet.clientId, 1)).map((p) => p.patientKey)).toEqual([keyOf(quietPatient)]);

    const forged = Buffer.from('not-a-patient-key').toString('base64url');
    const bad = await get(vol, `/v1/audit-events/clients/${busy.clientId}/patients?cursor=${forged}`, admin2);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('cursor');
  });
});

// Rule: an authenticated answer (patient data above all) never sits in a cache; public ones may.
describe('Cache-Control', () => {
  it('is no-store on every authenticated answer and the token endpoint, and not on public ones', async () => {
    const { token } = world.receiverClient;
    const checked = await check(token);
    const answers = {
      search: await post(ctx, '/v1/results/search', searchBody(patient), token),
      check: checked,
      decision: await decide(token, checked.json().checkId),
      read: await get(ctx, `/v1/results/${accession}`, world.issuerClient.token),
      report: await get(ctx, '/v1/reports/savings?from=2026-11-01&to=2026-11-29', token),
      registry: await get(ctx, '/v1/hospitals', token),
      token: await tokenRequest(ctx, adminCredentials.clientId, adminCredentials.clientSecret),
    };
    for (const [name, response] of Object.entries(answers)) {
      expect(response.statusCode, name).toBeLessThan(300);
      expect(response.headers['cache-control'], name).toBe('no-store');
    }
    for (const url of ['/healthz', '/.well-known/jwks.json']) {
      const response = await get(ctx, url);
      expect(response.statusCode).toBe(200);
      expect(String(response.headers['cache-control'] ?? ''), url).not.toContain('no-store');
    }
  });
});
