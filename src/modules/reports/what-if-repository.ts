import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';
import { hospitalFacts } from '../registry/mappers.ts';
import { shanghaiDaySql } from './aggregates.ts';
import type { CheckContext, HospitalFacts } from '../rules/types.ts';

export interface ReplayCheck {
  id: string;
  createdAt: Date;
  receiver: HospitalFacts;
  context: CheckContext;
}

/** One page of a period's checks (Asia/Shanghai days), oldest first, with their items and candidates. */
export async function checksOfPeriod(db: Database, from: string, to: string, after: { createdAt: Date; id: string } | null, limit: number) {
  let query = db
    .selectFrom('recognition_checks as c')
    .innerJoin('hospitals as h', 'h.id', 'c.receiving_hospital_id')
    .select(['c.id', 'c.created_at', 'c.context', 'h.id as h_id', 'h.name', 'h.tier', 'h.province', 'h.city', 'h.price_tier'])
    .where(sql<boolean>`${shanghaiDaySql('c.created_at')} between ${from}::date and ${to}::date`)
    .orderBy('c.created_at')
    .orderBy('c.id')
    .limit(limit);
  if (after) query = query.where((eb) => eb.or([eb('c.created_at', '>', after.createdAt), eb.and([eb('c.created_at', '=', after.createdAt), eb('c.id', '>', after.id)])]));
  const rows = await query.execute();
  const checks: (ReplayCheck & { createdAt: Date })[] = rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    receiver: hospitalFacts({ id: r.h_id, name: r.name, tier: r.tier, province: r.province, city: r.city, price_tier: r.price_tier }),
    context: r.context as CheckContext,
  }));
  const ids = checks.map((c) => c.id);
  const items = ids.length === 0 ? [] : await db.selectFrom('check_items').select(['check_id', 'item_code']).where('check_id', 'in', ids).execute();
  const candidates = ids.length === 0 ? [] : await db.selectFrom('check_candidates').select(['check_id', 'item_code', 'result_id']).where('check_id', 'in', ids).execute();
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
