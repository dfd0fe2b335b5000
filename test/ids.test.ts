import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';

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
      where column_name = 'id' and table_name in ('results', 'recognition_checks', 'recognition_decisions') order by 1`.execute(ctx.db);
    expect(defaults.rows.map((r) => r.column_default)).toEqual(['uuid_v7()', 'uuid_v7()', 'uuid_v7()']);
  });
});
