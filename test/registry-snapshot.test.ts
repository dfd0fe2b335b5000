import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistrySnapshots } from '../src/modules/recognition/registry-snapshot.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeScope } from './helpers/factories.ts';

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
});
