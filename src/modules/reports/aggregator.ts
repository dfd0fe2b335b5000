import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { countChecks, countDecisions } from './counting.ts';

/**
 * The report aggregates follow the log through a queue. Each check and decision adds its id to
 * agg_pending in the statement or transaction that records it; `drainOnce` takes a batch off the
 * queue and counts it in one transaction, so every entry is counted exactly once, and a crash
 * between the two loses nothing. One aggregator runs at a time (a transaction-scoped advisory lock),
 * across every instance of the service.
 */

const aggregatorLock = 730_100_712;

/** Every table the aggregator writes, the queue first. */
export const aggregateTables = [
  'agg_pending',
  'agg_check_items',
  'agg_issuer_candidates',
  'agg_decisions',
  'agg_declines',
  'agg_decline_months',
  'agg_practitioner_months',
  'agg_practitioner_years',
  'agg_recognized_patients',
  'agg_rollup',
  'agg_rollup_months',
  'agg_patient_days',
  'agg_flow_months',
  'agg_flow_years',
  'agg_flow_month_issuers',
  'agg_flow_year_issuers',
] as const;
/**
 * How many queue entries one step takes: the first step of a run takes up to `first`, and each step
 * that finds its batch full doubles the next, up to `most`. A backlog is thus counted in larger
 * set-based steps, each of which costs less per entry (every aggregate row it touches is written
 * once per step, however many entries add to it): with the same statements, at 1 million results,
 * 6,800-7,800 entries a second in steps of 5,000 against 14,800-18,400 in steps of 50,000-100,000
 * (docs/performance.md, Round 11). Larger steps gained little more and hold their transaction longer.
 */
export const drainSteps = { first: 5_000, most: 80_000 } as const;

/** The aggregator's lock, waited for: whoever holds it is the only one writing the aggregates until its commit. */
export async function takeAggregatorLock(trx: Transaction<DB>): Promise<true> {
  await sql`select pg_advisory_xact_lock(${aggregatorLock})`.execute(trx);
  return true;
}

/** The aggregator's lock if no one holds it; false at once otherwise (no connection waits to learn that). */
async function tryAggregatorLock(trx: Transaction<DB>): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${aggregatorLock}) as locked`.execute(trx);
  return rows[0].locked;
}

/** Counts up to `batchSize` queued checks and decisions, waiting for the lock; returns how many it counted. */
export async function drainOnce(db: Kysely<DB>, batchSize: number = drainSteps.first): Promise<number> {
  return (await drain(db, batchSize, takeAggregatorLock))!;
}

/** As drainOnce, unless another instance is counting: then null at once. */
export async function drainIfFree(db: Kysely<DB>, batchSize: number = drainSteps.first): Promise<number | null> {
  return drain(db, batchSize, tryAggregatorLock);
}

/**
 * A step reads its checks' items and candidates by key, from pages the checks' own writes left in
 * memory. PostgreSQL's default cost of a random page read (4, a disk's) made the planner scan the
 * whole log instead once a step held more than about 2,000 checks at 1 million results: steps of
 * 5,000-20,000 checks took 2-3 times as long (docs/performance.md, Round 16). The step costs random
 * reads as memory-resident data does; the setting ends with its transaction.
 */
const stepRandomPageCost = 1.1;

async function drain(db: Kysely<DB>, batchSize: number, lock: (trx: Transaction<DB>) => Promise<boolean>): Promise<number | null> {
  return db.transaction().execute(async (trx) => {
    if (!(await lock(trx))) return null;
    await sql`select set_config('random_page_cost', ${String(stepRandomPageCost)}, true)`.execute(trx);
    const { rows } = await sql<{ check_id: string | null; decision_id: string | null }>`
      delete from agg_pending where id in (select id from agg_pending order by id limit ${batchSize})
      returning check_id, decision_id`.execute(trx);
    const part = {
      checkIds: rows.flatMap((r) => (r.check_id ? [r.check_id] : [])),
      decisionIds: rows.flatMap((r) => (r.decision_id ? [r.decision_id] : [])),
    };
    // A decision's check was queued before it (it had to be committed to be decided on).
    if (part.checkIds.length > 0) await countChecks(trx, part);
    if (part.decisionIds.length > 0) await countDecisions(trx, part);
    return rows.length;
  });
}

/**
 * Counts everything queued so far, step after step, each step larger while they find their batch
 * full (`drainSteps`, up to `most`): each run of `startAggregator`, and the demo loader and tests that
 * need the aggregates to include every committed event. Reports never call it. Each step commits on
 * its own, so a run that fails keeps the steps before it. Returns how many entries each step counted.
 */
export async function catchUp(db: Kysely<DB>, { wait = true, first = drainSteps.first as number, most = drainSteps.most as number } = {}) {
  const once = wait ? drainOnce : drainIfFree;
  const counted: number[] = [];
  for (let size = Math.min(first, most); ; size = Math.min(2 * size, most)) {
    const step = await once(db, size);
    if (step !== null) counted.push(step);
    if (step !== size) return counted;
  }
}

/**
 * Recomputes every report aggregate from the log, in one transaction: after a bulk load, after a
 * change to how something is counted, and as the reference the incremental counts are tested against.
 * Vacuum and analyze the tables afterwards (`vacuumAggregates`): the rebuild leaves dead row versions.
 */
export async function rebuildAggregates(db: Kysely<DB>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await takeAggregatorLock(trx);
    await sql`truncate ${sql.join(aggregateTables.map((t) => sql.table(t)))}`.execute(trx);
    await countChecks(trx, 'everything');
    await countDecisions(trx, 'everything');
  });
}

/** VACUUM (ANALYZE) of every aggregate table: outside a transaction, after a rebuild. */
export async function vacuumAggregates(db: Kysely<DB>): Promise<void> {
  for (const table of aggregateTables) await sql`vacuum (analyze) ${sql.table(table)}`.execute(db);
}

/**
 * The queue is a table its entries pass through: a step deletes the oldest, and a deleted entry stays in
 * the table and its index until a VACUUM. Each step's `order by id limit n` starts at the index's first
 * page, so it walks every page of entries deleted since the last one: with autovacuum off, 2.8 million
 * of them made each step's delete cost 42 ms instead of 4 (docs/performance.md, Round 18). The
 * aggregator does not leave its queue to the server's autovacuum (which may be off, or busy with the
 * large tables): after counting `queueVacuumEvery` entries it vacuums the queue, on a connection
 * without the statement timeout, skipping it if a vacuum already runs there.
 */
export const queueVacuumEvery = 20_000;

/** VACUUM of the queue (outside a transaction); `skip_locked`: no wait behind another vacuum of it. */
export async function vacuumQueue(db: Kysely<DB>): Promise<void> {
  await sql`vacuum (skip_locked) agg_pending`.execute(db);
}

export interface AggregatorOptions {
  /** Runs maintenance on a connection without the statement timeout (the database handle's); by default on `db`. */
  withoutLimits?: <T>(work: (db: Kysely<DB>) => Promise<T>) => Promise<T>;
  /** Entries counted between two vacuums of the queue. */
  vacuumEvery?: number;
}

/**
 * Drains the queue every `intervalMs` in the background (one run at a time), so the aggregates lag
 * the log by seconds; reports state the lag (`queueLag`). Every instance runs one: whichever takes the
 * lock counts, the others find it taken and try again at their next tick, holding no connection in
 * between. A failed run halves the largest step of the runs after it (down to the first step's size),
 * so a step too large for the statement timeout is not tried again and again. The instance that counts
 * vacuums the queue after every `vacuumEvery` entries it counted (`queueVacuumEvery`); a failed vacuum
 * is reported and tried again after as many more. `stop` waits for a run in progress.
 */
export function startAggregator(
  db: Kysely<DB>,
  intervalMs: number,
  onError: (error: unknown) => void,
  { withoutLimits = (work) => work(db), vacuumEvery = queueVacuumEvery }: AggregatorOptions = {},
) {
  let running: Promise<void> | null = null;
  let most: number = drainSteps.most;
  let countedSinceVacuum = 0;
  async function run() {
    try {
      for (const step of await catchUp(db, { wait: false, most })) countedSinceVacuum += step;
    } catch (error) {
      most = Math.max(drainSteps.first, most / 2);
      throw error;
    }
    if (countedSinceVacuum < vacuumEvery) return;
    // Counted again from nought whether or not it succeeds: a failing vacuum is tried (and logged) once a period, not every tick.
    countedSinceVacuum = 0;
    await withoutLimits(vacuumQueue);
  }
  const timer = setInterval(() => {
    running ??= run()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    /** The largest step the next run may take. */
    largestStep: () => most,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * How far the aggregates lag the log: entries still queued, and the age of the oldest (its check or
 * decision id is a UUIDv7, whose first 48 bits are the millisecond it was recorded).
 */
export async function queueLag(db: Kysely<DB>, now: Date): Promise<{ items: number; oldestSeconds: number }> {
  const { rows } = await sql<{ items: number; oldest_ms: number | null }>`
    select (select count(*)::int from agg_pending) as items,
      (select ('x' || left(replace(coalesce(check_id, decision_id)::text, '-', ''), 12))::bit(48)::bigint::float8
       from agg_pending order by id limit 1) as oldest_ms`.execute(db);
  const { items, oldest_ms } = rows[0];
  return { items, oldestSeconds: oldest_ms === null ? 0 : Math.max(0, (now.getTime() - oldest_ms) / 1000) };
}
