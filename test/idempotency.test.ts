import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessWorld, checkBody, countRows, keyOf, post } from './helpers/access.ts';
import { tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeResult } from './helpers/factories.ts';
import { ctSubmission, residentId } from './helpers/results.ts';

let ctx: TestContext;
let world: Awaited<ReturnType<typeof accessWorld>>;
const now = new Date('2026-11-29T02:00:00Z');

beforeAll(async () => {
  ctx = await createTestContext({ IDEMPOTENCY_KEY_TTL_HOURS: '1' });
  ctx.clock.set(now);
  world = await accessWorld(ctx);
});
afterAll(() => ctx.close());

const keyed = (key?: string | string[]): Record<string, string | string[]> => (key === undefined ? {} : { 'idempotency-key': key });

/** A new patient with a recognisable CT at the issuer. */
async function patientWithResult() {
  const idNumber = residentId('19750101');
  const resultId = await makeResult(ctx.db, {
    hospitalId: world.issuer,
    patientKey: keyOf(idNumber),
    itemCode: world.ct,
    kind: 'images',
    performedAt: new Date(now.getTime() - 3 * 86_400_000),
  });
  return { idNumber, resultId };
}

const check = (idNumber: string, key?: string | string[], token = world.receiverClient.token, extra: Record<string, unknown> = {}) =>
  post(ctx, '/v1/recognition-checks', checkBody(idNumber, [world.ct], extra), token, keyed(key));
const decide = (checkId: string, resultId: string, key?: string, action = 'recognized') =>
  post(
    ctx,
    `/v1/recognition-checks/${checkId}/decisions`,
    { decisions: [{ resultId, action, ...(action === 'declined' ? { reasonCode: 'D1_CONDITION_CHANGED' } : {}) }] },
    world.receiverClient.token,
    keyed(key),
  );
/** One patient per accession number, so that resending a batch sends the very same request. */
const patients = new Map<string, string>();
const patientOf = (accessionNo: string) => patients.get(accessionNo) ?? patients.set(accessionNo, residentId('19900101')).get(accessionNo)!;
const batch = (accessions: string[], key?: string, findings = 'No abnormality.') =>
  post(
    ctx,
    '/v1/results/batch',
    { results: accessions.map((accessionNo) => ({ accessionNo, ...ctSubmission(patientOf(accessionNo), world.ct, { findings }) })) },
    world.issuerClient.token,
    keyed(key),
  );

const checksOf = (idNumber: string) =>
  ctx.db.selectFrom('recognition_checks').select('id').where('patient_key', '=', keyOf(idNumber)).execute();

/** Everything a check, a decision or a batch records; audit events: the successful ones (a refusal is audited by design). */
async function recorded() {
  const counts = await countRows(ctx.db, [
    'recognition_checks',
    'check_items',
    'check_candidates',
    'recognition_decisions',
    'results',
    'result_versions',
    'agg_pending',
    'idempotency_keys',
  ]);
  const audit = await ctx.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('outcome', '=', 'success')
    .executeTakeFirstOrThrow();
  return { ...counts, successAuditEvents: Number(audit.n) };
}

function expectReplayOf(retry: LightMyRequestResponse, first: LightMyRequestResponse) {
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  expect(retry.headers['idempotent-replayed']).toBe('true');
  expect(retry.statusCode).toBe(first.statusCode);
  expect(retry.json()).toEqual(first.json());
}

// Rule: a retry with the same key and request replays the first answer and records nothing again.
describe('a retry with the same Idempotency-Key', () => {
  it('replays a check: same status and body (same checkId), nothing recorded twice', async () => {
    const { idNumber } = await patientWithResult();
    const before = await recorded();
    const first = await check(idNumber, 'check-retry-1');
    expect(first.statusCode).toBe(201);
    const once = await recorded();
    expect(once).toEqual({
      ...before,
      recognition_checks: before.recognition_checks + 1,
      check_items: before.check_items + 1,
      check_candidates: before.check_candidates + 1,
      agg_pending: before.agg_pending + 1,
      idempotency_keys: before.idempotency_keys + 1,
      successAuditEvents: before.successAuditEvents + 1,
    });
    const retry = await check(idNumber, 'check-retry-1');
    expectReplayOf(retry, first);
    expect(retry.body).toBe(first.body);
    expect(await recorded()).toEqual(once);
  });

  it('replays a decision: 201 again with the same decision ids, no second decision or audit event', async () => {
    const { idNumber, resultId } = await patientWithResult();
    const checkId = (await check(idNumber)).json().checkId;
    const first = await decide(checkId, resultId, 'decide-retry-1');
    expect(first.statusCode).toBe(201);
    const once = await recorded();
    const retry = await decide(checkId, resultId, 'decide-retry-1');
    expectReplayOf(retry, first); // without the key, a repeat answers 200 and is audited again
    expect(await recorded()).toEqual(once);
  });

  it('replays a batch: the same outcomes and result ids, no new result or version', async () => {
    const first = await batch(['IDEM-B-1', 'IDEM-B-2'], 'batch-retry-1');
    expect(first.json().results.map((r: { outcome: string }) => r.outcome)).toEqual(['created', 'created']);
    const once = await recorded();
    const retry = await batch(['IDEM-B-1', 'IDEM-B-2'], 'batch-retry-1');
    expectReplayOf(retry, first); // without the key, the retry would answer "unchanged"
    expect(await recorded()).toEqual(once);
  });

  it('gives a client that never saw the first answer (lost after commit) the one recorded', async () => {
    const { idNumber, resultId } = await patientWithResult();
    await check(idNumber, 'lost-check'); // the answer is lost on the way back
    const checkId = (await check(idNumber, 'lost-check')).json().checkId;
    expect(await checksOf(idNumber)).toEqual([{ id: checkId }]);

    await decide(checkId, resultId, 'lost-decision');
    const decisions = (await decide(checkId, resultId, 'lost-decision')).json().decisions;
    const stored = await ctx.db.selectFrom('recognition_decisions').select('id').where('check_id', '=', checkId).execute();
    expect(stored.map((d) => d.id)).toEqual(decisions.map((d: { decisionId: string }) => d.decisionId));

    await batch(['IDEM-LOST-1'], 'lost-batch');
    const [answer] = (await batch(['IDEM-LOST-1'], 'lost-batch')).json().results;
    const row = await ctx.db.selectFrom('results').select('id').where('accession_no', '=', 'IDEM-LOST-1').executeTakeFirstOrThrow();
    expect(answer).toMatchObject({ outcome: 'created', resultId: row.id });
  });
});

// Rule: a key belongs to one request of one client; anything else is refused or kept apart.
describe('reusing a key', () => {
  it('for a different request is 422 and records nothing', async () => {
    const { idNumber, resultId } = await patientWithResult();
    const checkId = (await check(idNumber, 'reused-check')).json().checkId;
    await decide(checkId, resultId, 'reused-decision');
    await batch(['IDEM-R-1'], 'reused-batch');
    const before = await recorded();
    const reused = [
      await check(idNumber, 'reused-check', world.receiverClient.token, { practitionerId: 'DR-OTHER' }),
      await decide(checkId, resultId, 'reused-decision', 'declined'),
      await batch(['IDEM-R-1'], 'reused-batch', 'Nodule 4 mm.'),
    ];
    for (const response of reused) {
      expect(response.statusCode).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().type).toMatch(/\/idempotency-key-reused$/);
    }
    expect(await recorded()).toEqual(before);
  });

  it('by another client gets that client its own fresh answer', async () => {
    const { idNumber } = await patientWithResult();
    const other = await world.client(world.receiver);
    const mine = await check(idNumber, 'shared-key-string');
    const theirs = await check(idNumber, 'shared-key-string', other.token);
    expect(theirs.statusCode).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.json().checkId).not.toBe(mine.json().checkId);
    expect(await checksOf(idNumber)).toHaveLength(2);
  });
});

// Rule: the key is one structured-field string or bare token of 1-255 printable characters.
describe('the Idempotency-Key header', () => {
  it('refuses a malformed key with a 400 naming the header', async () => {
    const { idNumber } = await patientWithResult();
    for (const key of ['k'.repeat(256), `"${'k'.repeat(256)}"`, 'abc\u0001', '"a\tb"', '""', ['one', 'two']]) {
      const response = await check(idNumber, key);
      expect(response.statusCode, JSON.stringify(key)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().errors).toEqual([{ field: 'headers.idempotency-key', message: expect.any(String) }]);
    }
    expect(await checksOf(idNumber)).toEqual([]);
  });

  it('takes a quoted string and a bare token, the same text being the same key', async () => {
    const { idNumber } = await patientWithResult();
    const quoted = await check(idNumber, '"abc-123"');
    expect(quoted.statusCode).toBe(201);
    expectReplayOf(await check(idNumber, 'abc-123'), quoted);
    expect((await check(idNumber, '"with a space: fine"')).statusCode).toBe(201);
    expect((await check(idNumber, 'k'.repeat(255))).statusCode).toBe(201);
    expect(await checksOf(idNumber)).toHaveLength(3);
  });
});

// Rule: two requests racing with one key never record twice; the loser is replayed or told the key is in use.
describe('concurrent requests with the same key', () => {
  function expectOneWinner(answers: LightMyRequestResponse[], status: number) {
    const fresh = answers.filter((a) => a.statusCode === status && a.headers['idempotent-replayed'] === undefined);
    expect(fresh).toHaveLength(1);
    const [other] = answers.filter((a) => a !== fresh[0]);
    if (other.statusCode === 409) expect(other.json().type).toMatch(/\/idempotency-key-in-use$/);
    else expectReplayOf(other, fresh[0]);
  }

  it('record one check', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { idNumber } = await patientWithResult();
      expectOneWinner(await Promise.all([check(idNumber, `race-check-${round}`), check(idNumber, `race-check-${round}`)]), 201);
      expect(await checksOf(idNumber)).toHaveLength(1);
    }
  });

  it('record one batch', async () => {
    for (let round = 0; round < 5; round += 1) {
      const accessions = [`RACE-${round}-1`, `RACE-${round}-2`];
      expectOneWinner(await Promise.all([batch(accessions, `race-batch-${round}`), batch(accessions, `race-batch-${round}`)]), 200);
      const versions = await ctx.db
        .selectFrom('result_versions')
        .innerJoin('results', 'results.id', 'result_versions.result_id')
        .select(['accession_no', 'result_versions.version'])
        .where('accession_no', 'in', accessions)
        .orderBy('accession_no')
        .execute();
      expect(versions).toEqual(accessions.map((accession_no) => ({ accession_no, version: 1 })));
    }
  });
});

// Rule: an answer is kept for IDEMPOTENCY_KEY_TTL_HOURS; without the header nothing changes.
describe('expiry and requests without a key', () => {
  it('starts a new request once the key has expired', async () => {
    const { idNumber } = await patientWithResult();
    const { clientId, clientSecret } = world.receiverClient;
    try {
      const first = await check(idNumber, 'expiring-key');
      ctx.clock.set(new Date(now.getTime() + 59 * 60_000));
      expectReplayOf(await check(idNumber, 'expiring-key', await tokenFor(ctx.app, clientId, clientSecret)), first);
      ctx.clock.set(new Date(now.getTime() + 2 * 3_600_000));
      const later = await check(idNumber, 'expiring-key', await tokenFor(ctx.app, clientId, clientSecret));
      expect(later.statusCode).toBe(201);
      expect(later.headers['idempotent-replayed']).toBeUndefined();
      expect(later.json().checkId).not.toBe(first.json().checkId);
      expect(await checksOf(idNumber)).toHaveLength(2);
    } finally {
      ctx.clock.set(now);
    }
  });

  it('records every request without the header', async () => {
    const { idNumber } = await patientWithResult();
    const [a, b] = [await check(idNumber), await check(idNumber)];
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.headers['idempotent-replayed'] ?? b.headers['idempotent-replayed']).toBeUndefined();
    expect(a.json().checkId).not.toBe(b.json().checkId);
    expect(await checksOf(idNumber)).toHaveLength(2);
  });
});
