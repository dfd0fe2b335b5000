import { beforeAll, describe, expect, it } from 'vitest';
import { accession, check, ctx, decide, patient, resultId, world, useAccessAuditWorld } from './helpers/access-audit-world.ts';
import { auditedRequest } from './helpers/audit.ts';
import { get, keyOf, post, requestIdOf, resident, searchBody, tokenRequest } from './helpers/access.ts';
import { adminToken } from './helpers/auth.ts';
import { adminCredentials } from './helpers/context.ts';

useAccessAuditWorld();
let admin: string;
beforeAll(async () => {
  admin = await adminToken(ctx.app);
});

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
