import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import * as issuerRecognized from '../migrations/20261208000000_issuer_recognized.ts';
import { catchUp } from '../src/modules/reports/index.ts';
import { rebuildAggregates } from '../src/modules/reports/aggregator.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { reportsWorld, type ReportsWorld } from './helpers/reports-world.ts';

/** Migrations that add to the report aggregates fill the addition from the log, as a rebuild would. */
let ctx: TestContext;
let world: ReportsWorld;
beforeAll(async () => {
  ctx = await createTestContext();
  world = await reportsWorld(ctx);
});
afterAll(() => ctx.close());

const issuerCandidates = async () =>
  (await ctx.db.selectFrom('agg_issuer_candidates').selectAll().execute()).map((r) => JSON.stringify(r)).sort();

describe('the issuer’s recognitions on the check’s day (migration 20261208000000)', () => {
  it('are filled from the decisions counted, and the aggregator counts those still queued', async () => {
    const { scenario, ct } = world;
    // A check at 23:30 in Shanghai recognised after midnight, both still queued when the migration runs.
    const late = await scenario('ningbo', 8, new Date('2026-12-01T15:30:00Z'), [ct], (c) => [
      { resultId: c.get(ct)![0], action: 'recognized' },
    ]);
    ctx.clock.set('2026-12-01T16:30:00Z');
    expect((await world.sendDecisions('ningbo', late)).statusCode).toBe(201);

    const db = ctx.db as unknown as Kysely<unknown>;
    await issuerRecognized.down(db);
    await issuerRecognized.up(db);
    await catchUp(ctx.db);
    const migrated = await issuerCandidates();
    await rebuildAggregates(ctx.db);
    expect(await issuerCandidates()).toEqual(migrated);
    // The world's four recognitions of the issuer's results, and this one.
    const recognized = await ctx.db
      .selectFrom('agg_issuer_candidates')
      .select((eb) => eb.fn.sum<number>('recognized').as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(recognized.n)).toBe(5);
  });
});
