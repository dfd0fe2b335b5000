import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { registryVersionQuery } from '../registry/index.ts';
import type { ReportStatus, ResultFacts } from '../rules/index.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/** One patient's results a check looks at: those of the `lookbackDays` before `now`. */
export interface CandidateLookup {
  patientKey: string;
  now: Date;
  lookbackDays: number;
}

/** A results row as the candidate read returns it (timestamps as JSON text). */
export interface CandidateResultRow {
  id: string;
  accession_no: string;
  issuing_hospital_id: string;
  item_code: string;
  kind: string;
  status: string;
  performed_at: string;
  reported_at: string | null;
  images_available: boolean | null;
  study_uid: string | null;
  critical_open: boolean;
  equipment: Record<string, unknown> | null;
  analyte_codes: string[];
}

/** Each patient's results, and the registry version they were read with (one row per patient, in order). */
export interface CandidateResults {
  registry_version: number;
  results: CandidateResultRow[];
}

/**
 * The recognition check's read, in one statement for any number of patients (checks made at the
 * same moment share it): each patient's results within the look-back, newest first, with the
 * registry's version read in the same snapshot, so the check is judged with a registry at least
 * as new as its results.
 */
export function candidateResultsQuery(db: Executor, lookups: readonly CandidateLookup[]) {
  return sql<CandidateResults>`
    select (${registryVersionQuery(db)}) as registry_version,
      (select coalesce(json_agg(f order by f.performed_at desc, f.id), '[]') from (
        select r.id, r.accession_no, r.issuing_hospital_id, r.item_code, r.kind, r.status, r.performed_at, r.reported_at,
               r.images_available, r.study_uid, r.critical_open, r.equipment, r.analyte_codes
        from results r
        where r.patient_key = k.patient_key and r.performed_at >= k.now - k.lookback_days * interval '1 day'
      ) f) as results
    from unnest(${lookups.map((l) => l.patientKey)}::text[], ${lookups.map((l) => l.now)}::timestamptz[], ${lookups.map((l) => l.lookbackDays)}::integer[])
      with ordinality as k(patient_key, now, lookback_days, n)
    order by k.n
  `.compile(db);
}

/** A results row (timestamps as Dates, or as ISO text from a JSON read) as the engine's facts. */
export function resultFacts(r: {
  id: string;
  accession_no: string;
  issuing_hospital_id: string;
  item_code: string;
  kind: string;
  status: string;
  performed_at: Date | string;
  reported_at: Date | string | null;
  images_available: boolean | null;
  study_uid: string | null;
  critical_open: boolean;
  equipment: unknown;
  analyte_codes: string[];
}): ResultFacts {
  return {
    id: r.id,
    accessionNo: r.accession_no,
    issuingHospitalId: r.issuing_hospital_id,
    itemCode: r.item_code,
    kind: r.kind as ResultFacts['kind'],
    status: r.status as ReportStatus,
    performedAt: new Date(r.performed_at),
    reportedAt: r.reported_at === null ? null : new Date(r.reported_at),
    imagesAvailable: r.images_available,
    studyUid: r.study_uid,
    criticalOpen: r.critical_open,
    equipment: r.equipment as ResultFacts['equipment'],
    analyteCodes: r.analyte_codes,
  };
}

/**
 * The engine's facts of the given results (those still indexed): for replaying stored checks, and for
 * judging a decision again. `lock` holds them (FOR SHARE) until the transaction ends, so no new version
 * commits in between.
 */
export async function resultFactsOf(db: Executor, resultIds: readonly string[], { lock = false } = {}): Promise<ResultFacts[]> {
  if (resultIds.length === 0) return [];
  const query = db
    .selectFrom('results')
    .select([
      'id',
      'accession_no',
      'issuing_hospital_id',
      'item_code',
      'kind',
      'status',
      'performed_at',
      'reported_at',
      'images_available',
      'study_uid',
      'critical_open',
      'equipment',
      'analyte_codes',
    ])
    .where('id', 'in', resultIds)
    .orderBy('id');
  const rows = await (lock ? query.forShare() : query).execute();
  return rows.map(resultFacts);
}
