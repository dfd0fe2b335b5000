import type { ExpressionBuilder } from 'kysely';
import type { DB } from '../../db/schema.ts';
import type { Executor, NewResult } from './repository.ts';

// Where results are: each hospital's accession numbers, unique, name a result's id and the patient
// key it is filed under (its row's key, by which Citus distributes results: docs/scaling.md).

/** A result's place: its id and its patient key, the key of its row (docs/scaling.md). */
export interface ResultPlace {
  accession_no: string;
  result_id: string;
  patient_key: string;
}

/**
 * Claims the hospital's accession numbers not yet used, each with a fresh result id, and answers the
 * ones claimed. An accession another transaction is claiming waits for it, then is not claimed: the
 * caller finds it with findAccessions. Callers sort rows by accession so batches lock in one order.
 */
export async function claimAccessions(db: Executor, hospitalId: string, rows: readonly { accessionNo: string; patientKey: string }[]) {
  if (rows.length === 0) return [];
  return db
    .insertInto('result_accessions')
    .values(rows.map((r) => ({ issuing_hospital_id: hospitalId, accession_no: r.accessionNo, patient_key: r.patientKey })))
    .onConflict((oc) => oc.columns(['issuing_hospital_id', 'accession_no']).doNothing())
    .returning(['accession_no', 'result_id', 'patient_key'])
    .execute();
}

/**
 * Indexes results that are new to the index as they are (loaders of demo and test data, which write
 * no submission): their accessions, then the rows under the ids the accessions got.
 */
export async function insertNewResults(db: Executor, rows: readonly Omit<NewResult, 'id'>[]) {
  if (rows.length === 0) return [];
  const accessions = await db
    .insertInto('result_accessions')
    .values(rows.map((r) => ({ issuing_hospital_id: r.issuing_hospital_id, accession_no: r.accession_no, patient_key: r.patient_key })))
    .returning(['issuing_hospital_id', 'accession_no', 'result_id'])
    .execute();
  const ids = new Map(accessions.map((a) => [`${a.issuing_hospital_id} ${a.accession_no}`, a.result_id]));
  return db
    .insertInto('results')
    .values(rows.map((r) => ({ ...r, id: ids.get(`${r.issuing_hospital_id} ${r.accession_no}`)! })))
    .returning(['id', 'issuing_hospital_id', 'accession_no', 'patient_key'])
    .execute();
}

/**
 * Where a hospital's results are, by accession number, in accession order; `lock` holds the accessions
 * for the transaction: `update` for a submission that writes them, `share` for a read of several
 * statements that must not see a submission (a patient's correction, which moves the result) halfway.
 */
export async function findAccessions(
  db: Executor,
  hospitalId: string,
  accessionNos: readonly string[],
  { lock }: { lock?: 'update' | 'share' } = {},
): Promise<ResultPlace[]> {
  if (accessionNos.length === 0) return [];
  const query = db
    .selectFrom('result_accessions')
    .select(['accession_no', 'result_id', 'patient_key'])
    .where('issuing_hospital_id', '=', hospitalId)
    .where('accession_no', '=', (eb) => eb.fn.any(eb.val([...accessionNos])))
    .orderBy('accession_no');
  return (lock === 'update' ? query.forUpdate() : lock === 'share' ? query.forShare() : query).execute();
}

/**
 * Takes results away from their old patient key, for the transaction to write them again under the
 * corrected one: marks them moving (the only rows that may be removed), removes their versions and
 * them, points their accessions at the new key, and answers what must be written again.
 */
export async function moveOut(db: Executor, hospitalId: string, moves: readonly (ResultPlace & { to: string })[]) {
  if (moves.length === 0) return { results: [], versions: [] };
  const ids = moves.map((m) => m.result_id);
  const from = moves.map((m) => m.patient_key);
  const to = new Map(moves.map((m) => [m.result_id, m.to]));
  const placed = (eb: ExpressionBuilder<DB, 'results' | 'result_versions'>, idColumn: 'id' | 'result_id') =>
    eb.and([eb(idColumn, '=', eb.fn.any(eb.val(ids))), eb('patient_key', '=', eb.fn.any(eb.val(from)))]);
  await db
    .updateTable('results')
    .set({ moving: true })
    .where((eb) => placed(eb, 'id'))
    .execute();
  const versions = await db
    .deleteFrom('result_versions')
    .where((eb) => placed(eb, 'result_id'))
    .returningAll()
    .execute();
  const results = await db
    .deleteFrom('results')
    .where((eb) => placed(eb, 'id'))
    .returning(['id', 'version', 'created_at'])
    .execute();
  for (const move of moves) {
    await db
      .updateTable('result_accessions')
      .set({ patient_key: move.to })
      .where('issuing_hospital_id', '=', hospitalId)
      .where('accession_no', '=', move.accession_no)
      .execute();
  }
  return { results, versions: versions.map((v) => ({ ...v, content: JSON.stringify(v.content), patient_key: to.get(v.result_id)! })) };
}

/** The current versions of results named by their places. */
export async function findVersions(db: Executor, places: readonly ResultPlace[]) {
  if (places.length === 0) return [];
  return db
    .selectFrom('results')
    .select(['id', 'accession_no', 'version'])
    .where('id', '=', (eb) => eb.fn.any(eb.val(places.map((p) => p.result_id))))
    .where('patient_key', '=', (eb) => eb.fn.any(eb.val(places.map((p) => p.patient_key))))
    .execute();
}
