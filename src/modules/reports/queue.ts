import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';

/**
 * The report aggregates follow the recognition log through a queue: each check and decision adds
 * its id in the statement or transaction that records it, and only the aggregator takes entries off
 * (aggregator.ts), so every one is counted exactly once and a crash in between loses nothing.
 */

/** Queues decisions, in the transaction that records them. */
export async function enqueueDecisions(trx: Transaction<DB>, decisions: readonly { id: string; check_id: string }[]): Promise<void> {
  if (decisions.length === 0) return;
  await trx
    .insertInto('agg_pending')
    .values(decisions.map((d) => ({ decision_id: d.id, route: d.check_id })))
    .execute();
}

/** Queues checks, as a statement over the `id` column of `relation`, for the check's own single statement (a data-modifying CTE). */
export function enqueueChecksFrom(relation: string) {
  return sql`insert into agg_pending (check_id, route) select id, id from ${sql.table(relation)}`;
}

/** Queues one check, as `insert … values` naming its id (which Citus routes to the check's shard). */
export function enqueueCheckValues(checkId: string) {
  return sql`insert into agg_pending (check_id, route) values (${checkId}::uuid, ${checkId}::uuid)`;
}
