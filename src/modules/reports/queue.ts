import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';

/**
 * The report aggregates follow the recognition log through a queue: each check and decision adds
 * its id in the statement or transaction that records it, and only the aggregator takes entries off
 * (aggregator.ts), so every one is counted exactly once and a crash in between loses nothing.
 */

/** Queues decisions, in the transaction that records them. */
export async function enqueueDecisions(trx: Transaction<DB>, decisionIds: readonly string[]): Promise<void> {
  if (decisionIds.length === 0) return;
  await trx
    .insertInto('agg_pending')
    .values(decisionIds.map((id) => ({ decision_id: id })))
    .execute();
}

/** Queues checks, as a statement over the `id` column of `relation`, for the check's own single statement (a data-modifying CTE). */
export function enqueueChecksFrom(relation: string) {
  return sql`insert into agg_pending (check_id) select id from ${sql.table(relation)}`;
}
