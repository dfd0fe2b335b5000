import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { DB, Recalls } from '../../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type NewRecall = Insertable<Recalls>;
export type RecallRow = Selectable<Recalls>;

export async function insertRecalls(tx: Transaction<DB>, rows: NewRecall[]): Promise<RecallRow[]> {
  if (rows.length === 0) return [];
  return tx.insertInto('recalls').values(rows).returningAll().execute();
}

export interface RecallFilter {
  hospitalId?: string;
  status?: 'open' | 'acknowledged';
  /** Keyset: recalls older than this one (ids are time-ordered). */
  before?: string;
  limit: number;
}

/** Newest first. */
export async function listRecalls(db: Executor, filter: RecallFilter): Promise<RecallRow[]> {
  let query = db.selectFrom('recalls').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.hospitalId !== undefined) query = query.where('hospital_id', '=', filter.hospitalId);
  if (filter.status === 'open') query = query.where('acknowledged_at', 'is', null);
  if (filter.status === 'acknowledged') query = query.where('acknowledged_at', 'is not', null);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return query.execute();
}

export async function findRecall(db: Executor, id: string, { lock = false } = {}): Promise<RecallRow | undefined> {
  const query = db.selectFrom('recalls').selectAll().where('id', '=', id);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

export async function acknowledgeRecall(
  tx: Transaction<DB>,
  id: string,
  ack: { at: Date; by: string; clientId: string; note: string | null },
): Promise<RecallRow> {
  return tx
    .updateTable('recalls')
    .set({ acknowledged_at: ack.at, acknowledged_by: ack.by, acknowledged_client_id: ack.clientId, acknowledgement_note: ack.note })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
