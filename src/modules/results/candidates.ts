import { sql, type Kysely, type Transaction } from 'kysely';
import { DAY_MS, wholeSecond } from '../../calendar.ts';
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

/** Each patient's results as the engine's facts, and the registry version they were read with (one per lookup, in order). */
export interface CandidateResults {
  registry_version: number;
  results: ResultFacts[];
}

/** A results row of the candidate reads, with its patient (a shared read returns several patients' rows). */
type PatientResultRow = CandidateResultRow & { patient_key: string };

const candidateColumns = sql`r.patient_key, r.id, r.accession_no, r.issuing_hospital_id, r.item_code, r.kind, r.status, r.performed_at,
  r.reported_at, r.images_available, r.study_uid, r.critical_open, r.equipment, r.analyte_codes`;

/**
 * The recognition check's read, in one statement for any number of patients (checks made at the
 * same moment share it): their results since the earliest of their look-backs, with the registry's
 * version read in the same snapshot, so a check is judged with a registry at least as new as its
 * results. The statement names the patients' keys as a list, which PostgreSQL reads from the index
 * in one scan; candidateResultsOf splits the rows.
 *
 * The keys and the start of the window are read through sub-selects, which the planner cannot look
 * into: its estimates are then the same whatever the values, so PostgreSQL keeps one plan for the
 * prepared statement. Given the values themselves, each execution's plan looked cheaper than a kept
 * one (it counted the keys named, a kept plan assumes ten), and PostgreSQL planned the read anew every
 * time: up to a third of the read's CPU in PostgreSQL (docs/performance.md, Round 23).
 */
export function candidateResultsQuery(db: Executor, lookups: readonly CandidateLookup[]) {
  const since = Math.min(...lookups.map(windowStart));
  return sql<{ registry_version: number; results: PatientResultRow[] }>`
    select (${registryVersionQuery(db)}) as registry_version,
      (select coalesce(json_agg(f), '[]') from (
        select ${candidateColumns} from results r
        where r.patient_key = any((select ${[...new Set(lookups.map((l) => l.patientKey))]}::text[])::text[])
          and r.performed_at >= (select ${new Date(since)}::timestamptz)
      ) f) as results
  `.compile(db);
}

/**
 * One patient's results of the look-back, without the registry's version: the read of a check on
 * Citus, where it is a router query, planned and run on the patient's shard alone. With the version
 * (a table of the coordinator's) in the same statement, Citus would plan it in three steps through
 * intermediate results, the last one over a connection to the coordinator itself: two to three
 * times the time (docs/scaling.md). The caller reads the version after it.
 */
export function patientCandidatesQuery(db: Executor, lookup: CandidateLookup) {
  return sql<{ results: PatientResultRow[] }>`
    select coalesce(json_agg(f), '[]') as results from (
      select ${candidateColumns} from results r
      where r.patient_key = ${lookup.patientKey} and r.performed_at >= ${new Date(windowStart(lookup))}
    ) f
  `.compile(db);
}

/** Each lookup's results from the shared read: its patient's, within its look-back, newest first. */
export function candidateResultsOf(
  lookups: readonly CandidateLookup[],
  found: { registry_version: number; results: PatientResultRow[] },
): CandidateResults[] {
  // Each row made the engine's facts once, its time parsed once: sorting compares the parsed times.
  const byPatient = new Map<string, TimedFacts[]>();
  for (const row of found.results) {
    const facts = resultFacts(row);
    const entry = { facts, at: facts.performedAt.getTime() };
    const rows = byPatient.get(row.patient_key);
    if (rows) rows.push(entry);
    else byPatient.set(row.patient_key, [entry]);
  }
  for (const rows of byPatient.values()) rows.sort(newestFirst);
  return lookups.map((lookup) => {
    const from = windowStart(lookup);
    return {
      registry_version: found.registry_version,
      results: (byPatient.get(lookup.patientKey) ?? []).filter((r) => r.at >= from).map((r) => r.facts),
    };
  });
}

/** The look-back's first instant, inclusive and to the second: a result of exactly `lookbackDays` ago, in that second, is a candidate. */
const windowStart = (lookup: CandidateLookup) => wholeSecond(lookup.now.getTime()) - lookup.lookbackDays * DAY_MS;

/** A candidate's facts with its performed_at in epoch milliseconds. */
interface TimedFacts {
  facts: ResultFacts;
  at: number;
}

function newestFirst(a: TimedFacts, b: TimedFacts): number {
  return b.at - a.at || (a.facts.id < b.facts.id ? -1 : a.facts.id > b.facts.id ? 1 : 0);
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
 * commits in between. Given the patient's key, only that patient's results are read (on Citus, from the
 * patient's shard alone): a result moved to a corrected patient since is not found.
 */
export async function resultFactsOf(
  db: Executor,
  resultIds: readonly string[],
  { lock = false, patientKey }: { lock?: boolean; patientKey?: string } = {},
): Promise<ResultFacts[]> {
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
    .$if(patientKey !== undefined, (q) => q.where('patient_key', '=', patientKey!))
    .orderBy('id');
  const rows = await (lock ? query.forShare() : query).execute();
  return rows.map(resultFacts);
}
