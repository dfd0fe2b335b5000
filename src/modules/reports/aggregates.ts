import { sql } from 'kysely';

/** A 64-bit digest of a patient key for distinct counts: its first 16 hex digits. */
export const patientHashSql = (column: string) => sql.raw(`('x' || substr(${column}, 1, 16))::bit(64)::bigint`);

/**
 * An issuer's flows as three arrays in receiver order: receiver numbers, their recognitions and their
 * yuan in fen. Aggregates rows `f` of (receiver_num, recognitions, yuan); flow-ranking.ts reads them.
 */
export const flowListsSql = sql.raw(`array_agg(f.receiver_num order by f.receiver_num) as receiver_nums,
  array_agg(f.recognitions order by f.receiver_num) as recognitions,
  array_agg((f.yuan * 100)::bigint order by f.receiver_num) as fen`);
