import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import type { RuleSet, TierPolicy } from '../rules/index.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface StoredRuleSet extends RuleSet {
  createdAt: Date;
  createdBy: string;
}

export async function currentRuleSet(db: Executor): Promise<StoredRuleSet> {
  const row = await db
    .selectFrom('rule_sets')
    .select(['version', 'tier_direction', 'lookback_days', 'created_at', 'created_by'])
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  return {
    version: row.version,
    tierDirection: row.tier_direction as TierPolicy,
    lookbackDays: row.lookback_days,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

/** Appends the next rule-set version. Serialised by a transaction-scoped advisory lock. */
export async function appendRuleSet(
  trx: Transaction<DB>,
  change: { tierDirection?: TierPolicy; lookbackDays?: number },
  createdBy: string,
  now: Date,
): Promise<StoredRuleSet> {
  await sql`select pg_advisory_xact_lock(hashtext('rule_sets'))`.execute(trx);
  const current = await currentRuleSet(trx);
  const next = {
    version: current.version + 1,
    tier_direction: change.tierDirection ?? current.tierDirection,
    lookback_days: change.lookbackDays ?? current.lookbackDays,
    created_at: now,
    created_by: createdBy,
  };
  await trx.insertInto('rule_sets').values(next).execute();
  return currentRuleSet(trx);
}
