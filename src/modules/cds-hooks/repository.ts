import type { Database } from '../../db/database.ts';

export interface StoredCard {
  id: string;
  checkId: string;
  itemCode: string;
  resultId: string;
}

/** Records the cards of an answer; a card already recorded (the same candidate) is left as it is. */
export async function insertCards(db: Database, serviceId: string, hospitalId: string, cards: readonly StoredCard[]): Promise<void> {
  if (cards.length === 0) return;
  await db
    .insertInto('cds_cards')
    .values(
      cards.map((c) => ({
        id: c.id,
        service_id: serviceId,
        hospital_id: hospitalId,
        check_id: c.checkId,
        item_code: c.itemCode,
        result_id: c.resultId,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** The cards among `ids` that this service answered to this hospital. */
export async function findCards(db: Database, serviceId: string, hospitalId: string, ids: readonly string[]): Promise<StoredCard[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('cds_cards')
    .select(['id', 'check_id', 'item_code', 'result_id'])
    .where('id', 'in', [...ids])
    .where('service_id', '=', serviceId)
    .where('hospital_id', '=', hospitalId)
    .execute();
  return rows.map((r) => ({ id: r.id, checkId: r.check_id, itemCode: r.item_code, resultId: r.result_id }));
}
