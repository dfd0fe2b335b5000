import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import { findAccessions } from './accessions.ts';
import type { DB, Results, ResultVersions } from '../../db/schema.ts';

/** Repository functions run on the database or inside the caller's transaction. */
export type Executor = Kysely<DB> | Transaction<DB>;

export type NewResult = Insertable<Results>;
export type NewResultVersion = Insertable<ResultVersions>;

const resultColumns = [
  'results.id',
  'results.accession_no',
  'results.issuing_hospital_id',
  'results.item_code',
  'results.local_code',
  'results.kind',
  'results.status',
  'results.performed_at',
  'results.reported_at',
  'results.images_available',
  'results.study_uid',
  'results.critical_open',
  'results.equipment',
  'results.analytes',
  'results.findings',
  'results.version',
  'results.created_at',
  'results.updated_at',
] as const;

/**
 * Catalogue items named by a batch, in one round trip: by recognition code, and by the hospital's
 * local codes through its code map. `via` says which list a row answers.
 */
export async function resolveItems(db: Executor, hospitalId: string, itemCodes: string[], localCodes: string[]) {
  if (itemCodes.length === 0 && localCodes.length === 0) return [];
  return db
    .selectFrom('items')
    .select([sql<'code' | 'local'>`'code'`.as('via'), 'items.code as given', 'items.code', 'items.category'])
    .where('items.code', '=', (eb) => eb.fn.any(eb.val(itemCodes)))
    .unionAll(
      db
        .selectFrom('code_maps')
        .innerJoin('items', 'items.code', 'code_maps.item_code')
        .select([sql<'code' | 'local'>`'local'`.as('via'), 'code_maps.local_code as given', 'items.code', 'items.category'])
        .where('code_maps.hospital_id', '=', hospitalId)
        .where('code_maps.local_code', '=', (eb) => eb.fn.any(eb.val(localCodes))),
    )
    .execute();
}

/**
 * One statement for many results, each with the id its accession names: new ones are inserted (the
 * version they are given); existing ones are amended only when the content hash differs (version + 1,
 * under the row lock PostgreSQL takes for ON CONFLICT DO UPDATE); identical content returns no row.
 */
export async function upsertResults(db: Executor, rows: NewResult[]) {
  if (rows.length === 0) return [];
  return db
    .insertInto('results')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['id', 'patient_key'])
        .doUpdateSet((eb) => ({
          item_code: eb.ref('excluded.item_code'),
          local_code: eb.ref('excluded.local_code'),
          kind: eb.ref('excluded.kind'),
          status: eb.ref('excluded.status'),
          performed_at: eb.ref('excluded.performed_at'),
          reported_at: eb.ref('excluded.reported_at'),
          images_available: eb.ref('excluded.images_available'),
          study_uid: eb.ref('excluded.study_uid'),
          critical_open: eb.ref('excluded.critical_open'),
          equipment: eb.ref('excluded.equipment'),
          analytes: eb.ref('excluded.analytes'),
          analyte_codes: eb.ref('excluded.analyte_codes'),
          findings: eb.ref('excluded.findings'),
          content_hash: eb.ref('excluded.content_hash'),
          updated_at: eb.ref('excluded.updated_at'),
          version: eb('results.version', '+', 1),
        }))
        .where((eb) => eb('results.content_hash', '<>', eb.ref('excluded.content_hash'))),
    )
    .returning(['id', 'accession_no', 'version'])
    .execute();
}

export async function insertResultVersions(db: Executor, versions: NewResultVersion[]): Promise<void> {
  if (versions.length === 0) return;
  await db.insertInto('result_versions').values(versions).execute();
}

/**
 * One of a hospital's results by accession number: its accession says where it is, then it is read
 * there. The accession is held (FOR SHARE) until the caller's transaction ends, so a correction that
 * moves the result to another patient key waits, or is waited for: the caller's later statements (its
 * versions) find it where the accession said, never half moved.
 */
export async function findResult(db: Transaction<DB>, hospitalId: string, accessionNo: string) {
  const [place] = await findAccessions(db, hospitalId, [accessionNo], { lock: 'share' });
  if (!place) return undefined;
  return db
    .selectFrom('results')
    .select([...resultColumns, 'results.patient_key'])
    .where('id', '=', place.result_id)
    .where('patient_key', '=', place.patient_key)
    .executeTakeFirst();
}

export interface PatientSearch {
  patientKey: string;
  itemCodes?: string[];
  since?: Date;
  /** Keyset position: results after this one (newest first); performedAt as PostgreSQL's exact text. */
  after?: { performedAt: string; id: string };
  limit: number;
}

/** Results with their issuer's and catalogue item's facts, as searches and reads by id answer them. */
function indexedResultsQuery(db: Executor) {
  return db
    .selectFrom('results')
    .innerJoin('hospitals', 'hospitals.id', 'results.issuing_hospital_id')
    .innerJoin('items', 'items.code', 'results.item_code')
    .select([
      ...resultColumns,
      'hospitals.name as hospital_name',
      'hospitals.tier as hospital_tier',
      'hospitals.city as hospital_city',
      'items.name as item_name',
      'items.category as item_category',
      sql<string>`to_char(results.performed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position_at'),
      // What the result's free-form parts weigh, so a page can stop before it grows too large.
      sql<number>`coalesce(octet_length(results.findings), 0) + coalesce(octet_length(results.analytes::text), 0) + coalesce(octet_length(results.equipment::text), 0)`.as(
        'free_form_bytes',
      ),
    ]);
}

/**
 * A patient's results, newest first, with issuer and catalogue facts. Served by results_patient_idx
 * (patient_key, performed_at desc) include (item_code): the item filter is checked in the index
 * before any heap row is read.
 */
export function patientResultsQuery(db: Executor, search: PatientSearch) {
  let query = indexedResultsQuery(db).where('results.patient_key', '=', search.patientKey);
  if (search.itemCodes) query = query.where('results.item_code', '=', (eb) => eb.fn.any(eb.val(search.itemCodes!)));
  if (search.since) query = query.where('results.performed_at', '>=', search.since);
  if (search.after) {
    const { performedAt, id } = search.after;
    query = query.where(sql<boolean>`(results.performed_at, results.id) < (${performedAt}::timestamptz, ${id}::uuid)`);
  }
  return query.orderBy('results.performed_at', 'desc').orderBy('results.id', 'desc').limit(search.limit);
}

export async function findPatientResults(db: Executor, search: PatientSearch) {
  return patientResultsQuery(db, search).execute();
}

/**
 * One result by id, whoever its patient (the key's leading column finds it; on Citus the read goes to
 * every shard, as a read by id must when the patient is not named).
 */
export async function findIndexedResult(db: Executor, resultId: string) {
  return indexedResultsQuery(db).select('results.patient_key').where('results.id', '=', resultId).executeTakeFirst();
}

/** The stored content of the version before each given one (versions above 1). */
export async function findPreviousContents(db: Executor, versions: readonly { resultId: string; patientKey: string; version: number }[]) {
  if (versions.length === 0) return [];
  return db
    .selectFrom('result_versions')
    .select(['result_id', 'content'])
    .where('patient_key', '=', (eb) => eb.fn.any(eb.val(versions.map((v) => v.patientKey))))
    .where(
      sql<boolean>`(result_id, version) in (select * from unnest(${versions.map((v) => v.resultId)}::uuid[], ${versions.map((v) => v.version - 1)}::integer[]))`,
    )
    .execute();
}

/** Every version of one result, oldest first. */
export async function findResultVersions(db: Executor, place: { id: string; patientKey: string }) {
  return db
    .selectFrom('result_versions')
    .select(['version', 'content', 'content_hash', 'recorded_at', 'recorded_by'])
    .where('result_id', '=', place.id)
    .where('patient_key', '=', place.patientKey)
    .orderBy('version')
    .execute();
}
