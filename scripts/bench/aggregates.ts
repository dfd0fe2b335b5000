// Waiting for the service's background aggregator to count what the closed-loop phases queued.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.ts';

export interface CatchUp {
  /** Queue entries (checks, decisions) waiting when the wait began. */
  entries: number;
  seconds: number;
}

const queued = async (db: Kysely<DB>) => Number((await sql<{ n: string }>`select count(*) as n from agg_pending`.execute(db)).rows[0].n);

/**
 * Waits until the report aggregates' queue is empty. The closed-loop phases queue checks far faster
 * than a steady load would; a fixed-rate phase started on that backlog would measure the aggregator
 * catching up, not the service at that rate.
 */
export async function waitForAggregates(db: Kysely<DB>, timeoutSeconds = 1_800): Promise<CatchUp> {
  const started = performance.now();
  const entries = await queued(db);
  for (let left = entries; left > 0; left = await queued(db)) {
    if (performance.now() - started > timeoutSeconds * 1000)
      throw new Error(`the aggregates' queue still holds ${left} entries after ${timeoutSeconds} s`);
    await sleep(250);
  }
  return { entries, seconds: (performance.now() - started) / 1000 };
}
