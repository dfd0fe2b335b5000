import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface StoredAnswer {
  requestHash: string;
  statusCode: number;
  response: Record<string, unknown>;
  createdAt: Date;
}

export async function findAnswer(db: Executor, clientId: string, key: string): Promise<StoredAnswer | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response', 'created_at'])
    .where('client_id', '=', clientId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  return row && { requestHash: row.request_hash, statusCode: row.status_code, response: row.response, createdAt: row.created_at };
}

/**
 * Stores an answer in the caller's transaction. A concurrent request with the same key fails on the
 * primary key (23505, idempotency_keys_pkey), and its transaction with it: nothing is recorded twice.
 */
export async function insertAnswer(db: Executor, clientId: string, key: string, answer: StoredAnswer): Promise<void> {
  await db
    .insertInto('idempotency_keys')
    .values({
      client_id: clientId,
      idempotency_key: key,
      request_hash: answer.requestHash,
      status_code: answer.statusCode,
      response: JSON.stringify(answer.response),
      created_at: answer.createdAt,
    })
    .execute();
}

/** Forgets answers recorded before `before` (all of them, or one client's key). */
export async function deleteAnswersBefore(db: Executor, before: Date, only?: { clientId: string; key: string }): Promise<void> {
  let query = db.deleteFrom('idempotency_keys').where('created_at', '<', before);
  if (only) query = query.where('client_id', '=', only.clientId).where('idempotency_key', '=', only.key);
  await query.execute();
}

/**
 * Answers stored by another module's single statement (a data-modifying CTE): `relation` holds the
 * new rows' (n, id, created_at); each answer names its row by n, and its response gets the new row's
 * id as `idField`.
 */
export function rememberAnswersFrom(
  relation: string,
  answers: readonly {
    n: number;
    clientId: string;
    key: string;
    requestHash: string;
    statusCode: number;
    response: Record<string, unknown>;
  }[],
  idField = 'checkId',
) {
  const rows = answers.map((a) => ({
    n: a.n,
    client_id: a.clientId,
    idempotency_key: a.key,
    request_hash: a.requestHash,
    status_code: a.statusCode,
    response: a.response,
  }));
  return sql`
    insert into idempotency_keys (client_id, idempotency_key, request_hash, status_code, response, created_at)
    select x.client_id, x.idempotency_key, x.request_hash, x.status_code, jsonb_build_object(${idField}::text, r.id) || x.response, r.created_at
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(n integer, client_id text, idempotency_key text, request_hash text, status_code integer, response jsonb)
      join ${sql.table(relation)} r using (n)`;
}

/**
 * One answer stored by another module's single statement, as `insert … values` (which Citus routes
 * to the client's shard); its response gets `id` as `idField`.
 */
export function rememberAnswerValues(
  answer: { clientId: string; key: string; requestHash: string; statusCode: number; response: Record<string, unknown> },
  id: string,
  createdAt: Date,
  idField = 'checkId',
) {
  return sql`
    insert into idempotency_keys (client_id, idempotency_key, request_hash, status_code, response, created_at)
    values (${answer.clientId}, ${answer.key}, ${answer.requestHash}, ${answer.statusCode}, ${JSON.stringify({ [idField]: id, ...answer.response })}::jsonb, ${createdAt})`;
}
