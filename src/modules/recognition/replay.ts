import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';
import { shanghaiDaySql } from '../../db/sql.ts';
import type { CheckContext } from '../rules/index.ts';

/** A stored check as the what-if replays it: who asked, when, in which clinical context. */
export interface StoredCheck {
  id: string;
  createdAt: Date;
  receiverId: string;
  context: CheckContext;
}

/** One page of a period's checks (Asia/Shanghai days), oldest first, with their items and candidates. */
export async function storedChecksOfPeriod(
  db: Database,
  from: string,
  to: string,
  after: { createdAt: Date; id: string } | null,
  limit: number,
) {
  let query = db
    .selectFrom('recognition_checks as c')
    .select(['c.id', 'c.created_at', 'c.context', 'c.receiving_hospital_id'])
    .where(sql<boolean>`${shanghaiDaySql('c.created_at')} between ${from}::date and ${to}::date`)
    .orderBy('c.created_at')
    .orderBy('c.id')
    .limit(limit);
  if (after)
    query = query.where((eb) =>
      eb.or([eb('c.created_at', '>', after.createdAt), eb.and([eb('c.created_at', '=', after.createdAt), eb('c.id', '>', after.id)])]),
    );
  const rows = await query.execute();
  const checks: StoredCheck[] = rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    receiverId: r.receiving_hospital_id,
    context: r.context as CheckContext,
  }));
  const ids = checks.map((c) => c.id);
  const items =
    ids.length === 0 ? [] : await db.selectFrom('check_items').select(['check_id', 'item_code']).where('check_id', 'in', ids).execute();
  const candidates =
    ids.length === 0
      ? []
      : await db.selectFrom('check_candidates').select(['check_id', 'item_code', 'result_id']).where('check_id', 'in', ids).execute();
  const candidatesOf = new Map<string, { resultId: string }[]>();
  for (const c of candidates) {
    const key = `${c.check_id}/${c.item_code}`;
    candidatesOf.set(key, [...(candidatesOf.get(key) ?? []), { resultId: c.result_id }]);
  }
  return {
    checks,
    byId: new Map(checks.map((c) => [c.id, c])),
    items: items.map((i) => ({ checkId: i.check_id, itemCode: i.item_code })),
    candidates: candidates.map((c) => ({ resultId: c.result_id })),
    candidatesOf,
  };
}
