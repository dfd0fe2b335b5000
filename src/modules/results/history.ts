import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { BadRequest, NotFound } from '../../errors.ts';
import type { Actor } from '../auth/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import type { ReportStatus } from '../rules/index.ts';
import { findPreviousContents, findResult, findResultVersions } from './repository.ts';
import { changedFields, type ContentField, type ResultContent } from './submission.ts';

/** A new version of a result, as the modules that act on changes see it. */
export interface ResultChange {
  resultId: string;
  issuingHospitalId: string;
  accessionNo: string;
  itemCode: string;
  version: number;
  previousStatus: ReportStatus;
  status: ReportStatus;
  changedFields: ContentField[];
}

/** Told of every new version (above 1) inside the transaction that stores it. */
export type ResultChangeListener = (tx: Transaction<DB>, changes: ResultChange[], now: Date) => Promise<void>;

/** Whether a hospital recognised a result: it may then read the result's history. */
export type RecognisedBy = (db: Database | Transaction<DB>, hospitalId: string, resultId: string) => Promise<boolean>;

const contentOf = (stored: unknown) => stored as ResultContent;

/** What changed in each amended result: its new content against the version before it. */
export async function changesOf(
  tx: Transaction<DB>,
  issuer: string,
  amended: readonly { id: string; accessionNo: string; version: number; content: ResultContent }[],
): Promise<ResultChange[]> {
  const previous = await findPreviousContents(
    tx,
    amended.map((a) => ({ resultId: a.id, patientKey: a.content.patientKey, version: a.version })),
  );
  const before = new Map(previous.map((row) => [row.result_id, contentOf(row.content)]));
  return amended.flatMap((a) => {
    const prior = before.get(a.id);
    if (!prior) return [];
    return [
      {
        resultId: a.id,
        issuingHospitalId: issuer,
        accessionNo: a.accessionNo,
        itemCode: a.content.itemCode,
        version: a.version,
        previousStatus: prior.status as ReportStatus,
        status: a.content.status as ReportStatus,
        changedFields: changedFields(prior, a.content),
      },
    ];
  });
}

/** What the audited reads of one result (its history, a read by id) work with. */
export interface AuditedReadDeps {
  db: Database;
  clock: () => Date;
  audit: AuditTrail;
  recognisedBy: RecognisedBy;
}

/**
 * A result's history: every version with when and by which client it was recorded, its status and the
 * fields it changed. The issuer reads its own results; administrators and the hospitals that recognised
 * a result name its issuer. Any other caller finds nothing (404), so a result's existence is not disclosed;
 * the refusal of one that exists is audited under its patient.
 */
export function createResultHistory({ db, clock, audit, recognisedBy }: AuditedReadDeps) {
  return async function history(actor: Actor, accessionNo: string, issuerId?: string) {
    const issuer = issuerId ?? actor.hospitalId;
    if (!issuer) throw new BadRequest('Administrators name the issuing hospital', [{ field: 'issuer', message: 'is required' }]);
    const missing = () => new NotFound(`No result ${accessionNo} of hospital ${issuer} is visible to this client`);
    return db.transaction().execute(async (tx) => {
      const stored = await findResult(tx, issuer, accessionNo);
      if (!stored) throw missing();
      const allowed = actor.isAdmin || actor.hospitalId === issuer || (await recognisedBy(tx, actor.hospitalId!, stored.id));
      if (!allowed) throw missing().about({ patientKey: stored.patient_key, resultIds: [stored.id] });
      const versions = await findResultVersions(tx, { id: stored.id, patientKey: stored.patient_key });
      await audit.record(tx, {
        action: 'results.history',
        outcome: 'success',
        at: clock(),
        clientId: actor.clientId,
        hospitalId: actor.hospitalId,
        patientKey: stored.patient_key,
        resultIds: [stored.id],
        query: { accessionNo, issuer },
        origin: actor.origin,
      });
      return {
        resultId: stored.id,
        accessionNo,
        issuingHospitalId: issuer,
        currentVersion: stored.version,
        versions: versions.map((v, i) => {
          const content = contentOf(v.content);
          return {
            version: v.version,
            recordedAt: v.recorded_at.toISOString(),
            recordedBy: v.recorded_by,
            status: content.status as ReportStatus,
            changedFields: i === 0 ? [] : changedFields(contentOf(versions[i - 1].content), content),
          };
        }),
      };
    });
  };
}
