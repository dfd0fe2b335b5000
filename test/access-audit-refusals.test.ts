import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accession, check, ctx, decide, patient, world, useAccessAuditWorld } from './helpers/access-audit-world.ts';
import { auditedRequest } from './helpers/audit.ts';
import { get, hospitalReader, keyOf, post, requestIdOf, resident, searchBody, sleep, tokenRequest } from './helpers/access.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';
import { dumpDatabase, residentId } from './helpers/results.ts';

useAccessAuditWorld();

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
        'a decision on a check id that is no uuid',
        () => decide(world.receiverClient.token, '-'.repeat(36)),
        400,
        { action: 'recognition.decision', outcome_detail: '400 validation', client_id: world.receiverClient.clientId, check_id: null },
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

  it('records a claimed id no client could have (a NUL in it) as an unknown client, without the id', async () => {
    const response = await token('adm\u0000in', 'whatever-secret-0123');
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
    expect(await auditedRequest(locking.db, requestIdOf(response))).toMatchObject({
      action: 'auth.token',
      outcome: 'refused',
      outcome_detail: 'invalid_client',
      client_id: null,
      query: { claimedClientId: null },
    });
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
