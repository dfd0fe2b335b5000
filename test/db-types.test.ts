import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { schemaFile, schemaTypes } from '../scripts/db-types-generator.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

it('src/db/schema.ts is what kysely-codegen generates from the migrated database (npm run db:types)', async () => {
  const committed = await readFile(schemaFile, 'utf8');
  expect(committed, 'run npm run db:types').toBe(await schemaTypes(ctx.db));
});

it('every table and view of the schema has a type', async () => {
  const relations = (await ctx.db.introspection.getTables()).map((t) => t.name).filter((name) => !name.startsWith('kysely_'));
  const db = (await readFile(schemaFile, 'utf8')).split('export interface DB {')[1];
  const typed = [...db.matchAll(/^ {2}(\w+): \w+;$/gm)].map((m) => m[1]);
  expect(typed.sort()).toEqual(relations.sort());
});
