import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistrySnapshots } from '../src/modules/registry/index.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeItem, makeScope } from './helpers/factories.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('the registry snapshot', () => {
  it('is read again only when the registry version moved, and concurrent readers share the reload', async () => {
    const snapshots = createRegistrySnapshots(ctx.db);
    const first = await snapshots.current();
    expect(await snapshots.current()).toBe(first);

    const hospital = await makeHospital(ctx.db);
    await certify(ctx.db, { hospitalId: hospital, scopeId: await makeScope(ctx.db) });
    const [a, b] = await Promise.all([snapshots.newerThan(first.version), snapshots.newerThan(first.version)]);
    expect(a).toBe(b);
    expect(a.version).toBeGreaterThan(first.version);
    expect(a.hospitals.get(hospital)).toMatchObject({ id: hospital });
    expect(a.certifications.get(hospital)).toHaveLength(1);
    expect(first.hospitals.has(hospital)).toBe(false);
    expect(await snapshots.current()).toBe(a);
  });

  it('reads again only the tables that changed, and carries the others over', async () => {
    const snapshots = createRegistrySnapshots(ctx.db);
    const first = await snapshots.current();
    const hospital = first.hospitals.keys().next().value ?? (await makeHospital(ctx.db));
    const withHospital = first.hospitals.has(hospital) ? first : await snapshots.newerThan(first.version);
    const item = await makeItem(ctx.db);
    await ctx.db.insertInto('code_maps').values({ hospital_id: hospital, local_code: 'LOCAL-SNAPSHOT', item_code: item }).execute();

    const next = await snapshots.newerThan(withHospital.version);
    expect(next.codeMaps.get(`${hospital}\u0000LOCAL-SNAPSHOT`)).toBe(item);
    expect(next.items.has(item)).toBe(true);
    expect(next.codeMaps).not.toBe(withHospital.codeMaps);
    expect(next.items).not.toBe(withHospital.items);
    // Unchanged tables: the very same objects, not read again.
    expect(next.hospitals).toBe(withHospital.hospitals);
    expect(next.certifications).toBe(withHospital.certifications);
    expect(next.scopes).toBe(withHospital.scopes);
    expect(next.ruleSet).toBe(withHospital.ruleSet);

    // A change made by hand in SQL counts the same way.
    await sql`update hospitals set name = name || ' (renamed)' where id = ${hospital}`.execute(ctx.db);
    const renamed = await snapshots.newerThan(next.version);
    expect(renamed.hospitals.get(hospital)?.name).toMatch(/\(renamed\)$/);
    expect(renamed.codeMaps).toBe(next.codeMaps);
  });
});
