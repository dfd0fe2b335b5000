import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeItem, makeResult } from './helpers/factories.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('row ids on the hot paths', () => {
  it('are version 7 UUIDs: the creation millisecond first, so new keys append to their index', async () => {
    const before = Date.now();
    const { rows } = await sql<{ id: string }>`select uuid_v7()::text as id from generate_series(1, 50)`.execute(ctx.db);
    const after = Date.now();
    for (const { id } of rows) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const millis = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
      expect(millis).toBeGreaterThanOrEqual(before);
      expect(millis).toBeLessThanOrEqual(after);
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(50);
    const defaults = await sql<{ table_name: string; column_default: string }>`
      select table_name, column_default from information_schema.columns
      where (table_name, column_name) in (('result_accessions', 'result_id'), ('recognition_checks', 'id'), ('recognition_decisions', 'id'))
      order by 1`.execute(ctx.db);
    // A result's id is made with its accession (results.id has no default of its own).
    expect(defaults.rows.map((r) => r.column_default)).toEqual(['uuid_v7()', 'uuid_v7()', 'uuid_v7()']);
  });
});

describe('rows the log refers to', () => {
  it('are never deleted and never change their key: hospitals, items, rule sets, results and their accessions', async () => {
    const expectRefused = (statement: Promise<unknown>) => expect(statement).rejects.toThrow(/never deleted and keep their key/);
    await sql`insert into hospitals (id, name, tier, province, city) values ('H-PERM', 'permanent', 'primary', 'Zhejiang', 'Hangzhou')`.execute(
      ctx.db,
    );
    await expectRefused(sql`delete from hospitals where id = 'H-PERM'`.execute(ctx.db));
    await expectRefused(sql`update hospitals set id = 'H-OTHER' where id = 'H-PERM'`.execute(ctx.db));
    await sql`update hospitals set name = 'renamed' where id = 'H-PERM'`.execute(ctx.db);
    const item = await makeItem(ctx.db);
    await expectRefused(sql`delete from items where code = ${item}`.execute(ctx.db));
    const result = await makeResult(ctx.db, {
      hospitalId: await makeHospital(ctx.db),
      itemCode: item,
      patientKey: 'a'.repeat(64),
      performedAt: new Date(),
    });
    await expectRefused(sql`delete from results where id = ${result}`.execute(ctx.db));
    await expectRefused(sql`update results set patient_key = ${'b'.repeat(64)} where id = ${result}`.execute(ctx.db));
    await expectRefused(sql`delete from result_accessions where result_id = ${result}`.execute(ctx.db));
    await expectRefused(sql`update result_accessions set result_id = uuid_v7() where result_id = ${result}`.execute(ctx.db));
    await expectRefused(sql`delete from rule_sets`.execute(ctx.db));
    await expectRefused(sql`update rule_sets set version = version + 100`.execute(ctx.db));
  });
});
