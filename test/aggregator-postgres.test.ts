import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { drainIfFree } from '../src/modules/reports/aggregator.ts';
import { createTestContext, usingPostgres, type TestContext } from './helpers/context.ts';

/**
 * What the aggregator relies on from a PostgreSQL server, skipped on the embedded database: the
 * advisory lock an instance tries without waiting, and the listening connection that hears changes.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('one aggregator at a time, across instances (PostgreSQL)', () => {
  it.skipIf(!usingPostgres)('an instance that finds another counting gives up at once, holding no connection waiting', async () => {
    const other = new pg.Client({ connectionString: ctx.databaseUrl! });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select pg_advisory_xact_lock(730100712)');
      expect(await drainIfFree(ctx.db)).toBeNull();
      const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`.execute(
        ctx.db,
      );
      expect(waiting.rows[0].n).toBe(0);
      await other.query('commit');
      expect(await drainIfFree(ctx.db)).toEqual(expect.any(Number));
    } finally {
      await other.end();
    }
  });
});

describe('listening for changes (PostgreSQL)', () => {
  it.skipIf(!usingPostgres)('reconnects after its connection is cut, and says when it may have missed announcements', async () => {
    const states: boolean[] = [];
    const heard: string[] = [];
    const stop = await ctx.database.listen(
      'test_channel',
      (payload) => heard.push(payload),
      (listening) => states.push(listening),
    );
    try {
      expect(states).toEqual([true]);
      const listener = async () =>
        (
          await sql<{
            pid: number;
          }>`select pid from pg_stat_activity where datname = current_database() and query = 'listen "test_channel"'`.execute(ctx.db)
        ).rows;
      const [first] = await listener();
      await sql`select pg_terminate_backend(${first.pid})`.execute(ctx.db);
      await vi.waitFor(() => expect(states).toEqual([true, false, true]), { timeout: 5_000 });
      await sql`select pg_notify('test_channel', 'after the cut')`.execute(ctx.db);
      await vi.waitFor(() => expect(heard).toEqual(['after the cut']), { timeout: 2_000 });
    } finally {
      await stop();
    }
  });
});
