import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateResidentId } from '../src/modules/patients/index.ts';
import { adminToken, bearer } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { ctSubmission, dumpDatabase, putResult, residentId, resultsWorld } from './helpers/results.ts';

let ctx: TestContext;
let world: Awaited<ReturnType<typeof resultsWorld>>;

function batch(token: string, results: unknown[]) {
  return ctx.app.inject({ method: 'POST', url: '/v1/results/batch', headers: bearer(token), payload: { results } });
}

interface BatchAnswer {
  index: number;
  accessionNo: string | null;
  outcome: string;
  resultId?: string;
  problem?: { status: number; title: string; detail: string; type: string; errors: { field: string; message: string }[] };
}

beforeAll(async () => {
  ctx = await createTestContext();
  world = await resultsWorld(ctx.app, ctx.db);
});
afterAll(() => ctx.close());

describe('POST /v1/results/batch', () => {
  it('stores the good items and rejects each bad one with its own problem', async () => {
    const good = ctSubmission(residentId(), world.ct);
    const future = new Date(ctx.clock().getTime() + 3_600_000).toISOString();
    const response = await batch(world.tokenA, [
      { accessionNo: 'B-GOOD-1', ...good },
      { accessionNo: 'B-BAD-ID', ...ctSubmission('330106198001011230', world.ct) },
      { accessionNo: 'B-GOOD-LOCAL', ...ctSubmission(residentId(), world.ct, { itemCode: undefined }), localCode: world.localCode },
      { accessionNo: 'B-UNKNOWN-ITEM', ...ctSubmission(residentId(), 'NO-SUCH-ITEM') },
      { accessionNo: 'B-FUTURE', ...ctSubmission(residentId(), world.ct, { performedAt: future, reportedAt: undefined }) },
      'not an object',
      { ...good },
      { accessionNo: 'B-GOOD-1', ...ctSubmission(residentId(), world.ct) },
      { accessionNo: 'B-STATUS', ...ctSubmission(residentId(), world.ct, { status: 'done', reportedAt: '2020-01-01T00:00:00Z' }) },
      { accessionNo: 'B-BIRTH', ...ctSubmission(generateResidentId('19800230'), world.ct) },
    ]);
    expect(response.statusCode).toBe(200);
    const { results } = response.json<{ results: BatchAnswer[] }>();
    expect(results.map((r) => [r.index, r.accessionNo, r.outcome])).toEqual([
      [0, 'B-GOOD-1', 'created'],
      [1, 'B-BAD-ID', 'rejected'],
      [2, 'B-GOOD-LOCAL', 'created'],
      [3, 'B-UNKNOWN-ITEM', 'rejected'],
      [4, 'B-FUTURE', 'rejected'],
      [5, null, 'rejected'],
      [6, null, 'rejected'],
      [7, 'B-GOOD-1', 'rejected'],
      [8, 'B-STATUS', 'rejected'],
      [9, 'B-BIRTH', 'rejected'],
    ]);
    const fields = (i: number) => results[i].problem!.errors.map((e) => e.field);
    expect(fields(1)).toEqual(['patient.idNumber']);
    expect(fields(3)).toEqual(['itemCode']);
    expect(fields(4)).toEqual(['performedAt']);
    expect(fields(5)).toEqual(['item']);
    expect(fields(6)).toEqual(['accessionNo']);
    expect(fields(7)).toEqual(['accessionNo']);
    expect(results[7].problem!.errors[0].message).toMatch(/duplicate of item 0/);
    expect(fields(8)).toContain('status');
    expect(fields(9)).toEqual(['patient.idNumber']);
    expect(results[1].problem).toMatchObject({
      status: 400,
      title: 'Invalid request',
      type: expect.stringMatching(/validation$/),
      detail: expect.any(String),
    });
    for (const r of results) {
      if (r.outcome === 'rejected') expect(r.resultId).toBeUndefined();
      else expect(r.problem).toBeUndefined();
    }

    const stored = await ctx.db
      .selectFrom('results')
      .select(['id', 'accession_no', 'item_code', 'issuing_hospital_id'])
      .orderBy('accession_no')
      .execute();
    expect(stored.map((r) => r.accession_no)).toEqual(['B-GOOD-1', 'B-GOOD-LOCAL']);
    expect(stored.every((r) => r.item_code === world.ct && r.issuing_hospital_id === world.hospitalA)).toBe(true);
    expect(stored.find((r) => r.accession_no === 'B-GOOD-1')!.id).toBe(results[0].resultId);
    expect(await dumpDatabase(ctx.db)).not.toContain(good.patient.idNumber);
  });

  it('answers unchanged for repeated items and updated for amended ones, keeping the history', async () => {
    const idNumber = residentId();
    const items = [
      { accessionNo: 'B-REPEAT-1', ...ctSubmission(idNumber, world.ct) },
      { accessionNo: 'B-REPEAT-2', ...ctSubmission(idNumber, world.ct, { status: 'preliminary' }) },
    ];
    const first = await batch(world.tokenA, items);
    expect(first.json().results.map((r: BatchAnswer) => r.outcome)).toEqual(['created', 'created']);
    const again = await batch(world.tokenA, [items[1], items[0], { accessionNo: 'B-REPEAT-3', ...ctSubmission(idNumber, world.ct) }]);
    expect(again.json().results.map((r: BatchAnswer) => r.outcome)).toEqual(['unchanged', 'unchanged', 'created']);
    expect(again.json().results[1].resultId).toBe(first.json().results[0].resultId);

    const amended = await batch(world.tokenA, [{ ...items[1], status: 'final' }, items[0]]);
    expect(amended.json().results.map((r: BatchAnswer) => r.outcome)).toEqual(['updated', 'unchanged']);
    const history = await ctx.db
      .selectFrom('result_versions')
      .select(['version', 'content'])
      .where('result_id', '=', first.json().results[1].resultId)
      .orderBy('version')
      .execute();
    expect(history.map((h) => [h.version, (h.content as { status: string }).status])).toEqual([
      [1, 'preliminary'],
      [2, 'final'],
    ]);
    // The single-result endpoint sees the same state.
    const put = await putResult(ctx.app, world.tokenA, 'B-REPEAT-2', { ...ctSubmission(idNumber, world.ct), status: 'final' });
    expect(put.json()).toMatchObject({ outcome: 'unchanged', version: 2 });
  });

  it('stores every field of a batch item as submitted: arrays, JSON, quotes, backslashes and times', async () => {
    const awkward = 'He said "no", then {a,b} \\ NULL, 無異常 ';
    const lab = {
      ...ctSubmission(residentId(), world.lab, { studyUid: undefined, equipment: undefined }),
      findings: awkward,
      performedAt: '2026-11-20T09:30:00.123+08:00',
      analytes: [
        { code: 'ALT', value: 31, unit: 'U/L', flag: 'H' },
        { code: 'AST', value: 'pending "recheck"', referenceRange: '<40' },
      ],
    };
    const plain = ctSubmission(residentId(), world.ct, { findings: undefined });
    const response = await batch(world.tokenA, [
      { accessionNo: 'B-FIELDS-LAB', ...lab },
      { accessionNo: 'B-FIELDS-CT', ...plain },
    ]);
    expect(response.json<{ results: BatchAnswer[] }>().results.map((r) => r.outcome)).toEqual(['created', 'created']);

    const rows = await ctx.db
      .selectFrom('results')
      .select(['accession_no', 'analyte_codes', 'analytes', 'equipment', 'findings', 'performed_at', 'study_uid', 'version'])
      .where('accession_no', 'in', ['B-FIELDS-LAB', 'B-FIELDS-CT'])
      .orderBy('accession_no', 'desc')
      .execute();
    expect(rows[0]).toMatchObject({
      accession_no: 'B-FIELDS-LAB',
      analyte_codes: ['ALT', 'AST'],
      analytes: lab.analytes,
      equipment: null,
      findings: awkward,
      study_uid: null,
      version: 1,
    });
    expect(new Date(rows[0].performed_at).toISOString()).toBe('2026-11-20T01:30:00.123Z');
    expect(rows[1]).toMatchObject({
      accession_no: 'B-FIELDS-CT',
      analyte_codes: [],
      analytes: null,
      equipment: plain.equipment,
      findings: null,
    });
    const version = await ctx.db
      .selectFrom('result_versions as v')
      .innerJoin('results as r', 'r.id', 'v.result_id')
      .select(['v.content'])
      .where('r.accession_no', '=', 'B-FIELDS-LAB')
      .executeTakeFirstOrThrow();
    expect(version.content).toMatchObject({ findings: awkward, analytes: lab.analytes });
  });

  it('takes 1000 items in one request, and refuses more', async () => {
    const idNumber = residentId();
    const items = Array.from({ length: 1000 }, (_, i) => ({
      accessionNo: `B-BULK-${String(i).padStart(4, '0')}`,
      ...ctSubmission(idNumber, i % 2 === 0 ? world.ct : world.lab, { findings: `Bulk ${i}. ${'x'.repeat(1200)}`, studyUid: undefined }),
    }));
    const response = await batch(world.tokenA, items); // about 1.5 MiB: above the 1 MiB default, within the 16 MiB of this route
    expect(response.statusCode).toBe(200);
    const outcomes = response.json().results.map((r: BatchAnswer) => r.outcome);
    expect(outcomes.filter((o: string) => o === 'created')).toHaveLength(1000);
    const count = await ctx.db
      .selectFrom('results')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('accession_no', 'like', 'B-BULK-%')
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1000);
    const lab = await ctx.db.selectFrom('results').select('kind').where('accession_no', '=', 'B-BULK-0001').executeTakeFirstOrThrow();
    expect(lab.kind).toBe('data');

    const tooMany = await batch(world.tokenA, [...items, { ...items[0], accessionNo: 'B-BULK-1000' }]);
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0].field).toBe('results');
    const empty = await batch(world.tokenA, []);
    expect(empty.statusCode).toBe(400);
  });

  it('lets concurrent batches of the same accessions create each result once', async () => {
    const idNumber = residentId();
    const items = Array.from({ length: 40 }, (_, i) => ({ accessionNo: `B-RACE-${i}`, ...ctSubmission(idNumber, world.ct) }));
    const reversed = [...items].reverse();
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => batch(world.tokenA, i % 2 === 0 ? items : reversed)));
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    const created = responses.flatMap((r) => r.json().results.filter((x: BatchAnswer) => x.outcome === 'created'));
    expect(created).toHaveLength(40);
    const rows = await ctx.db.selectFrom('results').select('accession_no').where('accession_no', 'like', 'B-RACE-%').execute();
    expect(rows).toHaveLength(40);
  });

  it('needs a token with results:write', async () => {
    const item = { accessionNo: 'B-AUTH', ...ctSubmission(residentId(), world.ct) };
    const anonymous = await ctx.app.inject({ method: 'POST', url: '/v1/results/batch', payload: { results: [item] } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer /);
    expect((await batch(await adminToken(ctx.app), [item])).statusCode).toBe(403);
    expect((await batch(await world.token(world.hospitalA, ['results:read']), [item])).statusCode).toBe(403);
  });

  it('files every item under the token’s hospital', async () => {
    const response = await batch(world.tokenB, [{ accessionNo: 'B-GOOD-1', ...ctSubmission(residentId(), world.ct) }]);
    expect(response.json().results[0].outcome).toBe('created');
    const rows = await ctx.db
      .selectFrom('results')
      .select('issuing_hospital_id')
      .where('accession_no', '=', 'B-GOOD-1')
      .orderBy('issuing_hospital_id')
      .execute();
    expect(rows.map((r) => r.issuing_hospital_id).sort()).toEqual([world.hospitalA, world.hospitalB].sort());
  });

  it('keeps the 1 MiB limit on the single-result endpoint', async () => {
    const response = await putResult(
      ctx.app,
      world.tokenA,
      'B-HUGE',
      ctSubmission(residentId(), world.ct, { findings: 'x'.repeat(1024 * 1024 + 10) }),
    );
    expect(response.statusCode).toBe(413);
  });
});
