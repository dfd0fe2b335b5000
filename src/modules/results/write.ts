import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { claimAccessions, findAccessions, findVersions, moveOut } from './accessions.ts';
import { changesOf, type ResultChangeListener } from './history.ts';
import { insertResultVersions, upsertResults, type NewResult } from './repository.ts';
import type { SubmissionOutcome } from './schemas.ts';
import type { PreparedResult } from './submission.ts';

// Storing submitted results: every version kept, a corrected patient's result moved, and each new
// version of an existing result told to the listener in the same transaction.

export interface Written {
  resultId: string;
  version: number;
  outcome: SubmissionOutcome;
}

/** The writer of prepared results; `onChange` hears of every new version of an existing result. */
export function createResultWriter(onChange: ResultChangeListener) {
  /**
   * Writes prepared results inside the caller's transaction. Their accessions first: new ones are
   * claimed with fresh result ids, existing ones locked, so concurrent submissions of one accession
   * take turns. A result whose patient key was corrected moves to the new key (moveOut). Then one
   * upsert for all the results, one insert of the new versions, one look-up of the unchanged ones.
   * Every stored version, the first included, is kept in result_versions with the client that
   * recorded it; the new versions of existing results, with what changed, go to `onChange` in the
   * same transaction.
   */
  return async function write(tx: Transaction<DB>, prepared: PreparedResult[], issuer: string, clientId: string, now: Date) {
    if (prepared.length === 0) return new Map<string, Written>();
    const sorted = [...prepared].sort((a, b) => (a.accessionNo < b.accessionNo ? -1 : a.accessionNo > b.accessionNo ? 1 : 0));
    const byAccession = new Map(sorted.map((p) => [p.accessionNo, p]));
    const claimed = await claimAccessions(
      tx,
      issuer,
      sorted.map((p) => ({ accessionNo: p.accessionNo, patientKey: p.content.patientKey })),
    );
    const claimedNos = new Set(claimed.map((c) => c.accession_no));
    const existing = await findAccessions(
      tx,
      issuer,
      sorted.filter((p) => !claimedNos.has(p.accessionNo)).map((p) => p.accessionNo),
      { lock: 'update' },
    );
    const moves = existing
      .filter((e) => e.patient_key !== byAccession.get(e.accession_no)!.content.patientKey)
      .map((e) => ({ ...e, to: byAccession.get(e.accession_no)!.content.patientKey }));
    const moved = await moveOut(tx, issuer, moves);
    const before = new Map(moved.results.map((r) => [r.id, r]));
    const places = new Map([...claimed, ...existing].map((p) => [p.accession_no, p.result_id]));
    const changed = await upsertResults(
      tx,
      sorted.map((p) => {
        const id = places.get(p.accessionNo)!;
        const moving = before.get(id);
        // A result moving to a corrected patient key keeps its first submission's time and takes the version after its last.
        return { ...resultRow(p, issuer, now), id, version: moving ? moving.version + 1 : 1, created_at: moving?.created_at ?? now };
      }),
    );
    await insertResultVersions(tx, [
      ...moved.versions,
      ...changed.map((row) => {
        const p = byAccession.get(row.accession_no)!;
        return {
          result_id: row.id,
          patient_key: p.content.patientKey,
          version: row.version,
          content: JSON.stringify(p.content),
          content_hash: p.contentHash,
          recorded_at: now,
          recorded_by: clientId,
        };
      }),
    ]);
    const amended = changed.filter((row) => row.version > 1);
    if (amended.length > 0) {
      const versions = amended.map((row) => ({
        id: row.id,
        accessionNo: row.accession_no,
        version: row.version,
        content: byAccession.get(row.accession_no)!.content,
      }));
      await onChange(tx, await changesOf(tx, issuer, versions), now);
    }
    const written = new Map<string, Written>();
    for (const row of changed)
      written.set(row.accession_no, { resultId: row.id, version: row.version, outcome: row.version === 1 ? 'created' : 'updated' });
    const unchanged = existing.filter((e) => !written.has(e.accession_no));
    for (const row of await findVersions(tx, unchanged)) {
      written.set(row.accession_no, { resultId: row.id, version: row.version, outcome: 'unchanged' });
    }
    return written;
  };
}

/**
 * The results row of a prepared result, first version, submitted at `at` (its id is its accession's).
 * The demo's loader writes its rows with it too.
 */
export function resultRow(p: PreparedResult, issuer: string, at: Date | string): Omit<NewResult, 'id'> {
  const c = p.content;
  return {
    issuing_hospital_id: issuer,
    accession_no: p.accessionNo,
    patient_key: c.patientKey,
    item_code: c.itemCode,
    local_code: c.localCode,
    kind: c.kind,
    status: c.status,
    performed_at: c.performedAt,
    reported_at: c.reportedAt,
    images_available: c.imagesAvailable,
    study_uid: c.studyUid,
    critical_open: c.criticalOpen,
    equipment: c.equipment === null ? null : JSON.stringify(c.equipment),
    analytes: c.analytes === null ? null : JSON.stringify(c.analytes),
    analyte_codes: c.analytes?.map((a) => a.code) ?? [],
    findings: c.findings,
    content_hash: p.contentHash,
    version: 1,
    created_at: at,
    updated_at: at,
  };
}
