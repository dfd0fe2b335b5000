import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import type { RecallRecognition } from '../../db/json-columns.ts';
import { invalidFields } from '../../http/validation.ts';
import { Conflict, Forbidden, NotFound } from '../../errors.ts';
import type { Actor } from '../auth/index.ts';
import { judgeAgain, recognitionsOfIssuer, recognitionsOfResults, type Recognition } from '../recognition/index.ts';
import { readRegistry, type CertificationRecorded } from '../registry/index.ts';
import { resultFactsOf, type ResultChange } from '../results/index.ts';
import { certificationRecallReasons, resultChangeCause, statusReasons, type ReasonCode } from '../rules/index.ts';
import { enqueueWebhookEvent } from '../webhooks/index.ts';
import { acknowledgeRecall, findRecall, insertRecalls, listRecalls, type NewRecall, type RecallRow } from './repository.ts';
import type { RecallView } from './schemas.ts';

const dayMs = 86_400_000;

export interface RecallServiceDeps {
  db: Database;
  clock: () => Date;
  /** Recalls reach the recognitions made within this many days before the change. */
  horizonDays: number;
}

export function recallView(row: RecallRow): RecallView {
  return {
    recallId: row.id,
    hospitalId: row.hospital_id,
    cause: row.cause,
    result: {
      resultId: row.result_id,
      issuingHospitalId: row.issuing_hospital_id,
      accessionNo: row.accession_no,
      itemCode: row.item_code,
      version: row.result_version,
    },
    changedFields: row.changed_fields,
    reasons: row.reasons as ReasonCode[],
    certificationEventId: row.certification_event_id,
    recognitions: row.recognitions.map((r) => ({ ...r, decidedAt: new Date(r.decidedAt) })),
    createdAt: row.created_at,
    acknowledgement:
      row.acknowledged_at === null
        ? null
        : {
            acknowledgedAt: row.acknowledged_at,
            acknowledgedBy: row.acknowledged_by!,
            clientId: row.acknowledged_client_id!,
            note: row.acknowledgement_note,
          },
  };
}

/** What a webhook carries: the recall, and where on the exchange to read it and the result's history. */
export function recallPayload(row: RecallRow) {
  const issuer = encodeURIComponent(row.issuing_hospital_id);
  return {
    ...recallView(row),
    links: {
      recall: `/v1/recalls/${row.id}`,
      history: `/v1/results/${encodeURIComponent(row.accession_no)}/history?issuer=${issuer}`,
    },
  };
}

const recognitionOf = (r: Recognition): RecallRecognition => ({
  decisionId: r.decisionId,
  checkId: r.checkId,
  itemCode: r.itemCode,
  practitionerId: r.practitionerId,
  clientId: r.clientId,
  patientKey: r.patientKey,
  decidedAt: r.decidedAt.toISOString(),
});

/** The result a recall names, and why it is made. */
interface RecallSubject {
  result: { id: string; issuingHospitalId: string; accessionNo: string; itemCode: string };
  recall: Pick<NewRecall, 'cause' | 'result_version' | 'certification_event_id' | 'changed_fields' | 'reasons'>;
}

/** One recall per (result, recognising hospital), naming every recognition it covers. */
function recallRows(recognitions: readonly Recognition[], now: Date, causeOf: (group: Recognition[]) => RecallSubject): NewRecall[] {
  const groups = new Map<string, Recognition[]>();
  for (const r of recognitions) {
    const key = `${r.resultId}\u0000${r.receivingHospitalId}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const { result, recall } = causeOf(group);
    return {
      hospital_id: group[0].receivingHospitalId,
      result_id: result.id,
      issuing_hospital_id: result.issuingHospitalId,
      accession_no: result.accessionNo,
      item_code: result.itemCode,
      patient_key: group[0].patientKey,
      ...recall,
      recognitions: JSON.stringify(group.map(recognitionOf)),
      created_at: now,
    };
  });
}

function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id))
    throw invalidFields([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
  return id;
}

export function createRecallService({ db, clock, horizonDays }: RecallServiceDeps) {
  const horizonStart = (now: Date) => new Date(now.getTime() - horizonDays * dayMs);

  /** Stores recalls and queues one webhook delivery per endpoint of each recalled hospital, in the caller's transaction. */
  async function create(tx: Transaction<DB>, rows: NewRecall[], now: Date): Promise<RecallRow[]> {
    const created = await insertRecalls(tx, rows);
    for (const row of created) {
      await enqueueWebhookEvent(tx, {
        hospitalId: row.hospital_id,
        eventType: 'recall.created',
        eventId: row.id,
        payload: recallPayload(row),
        now,
      });
    }
    return created;
  }

  return {
    /**
     * New versions of results, in the transaction that stores them: a version that withdraws a result or
     * changes its clinical content recalls it from every hospital that recognised it within the horizon.
     */
    async onResultChanges(tx: Transaction<DB>, changes: readonly ResultChange[], now: Date): Promise<void> {
      const caused = changes.flatMap((change) => {
        const cause = resultChangeCause(change);
        return cause ? [{ change, cause }] : [];
      });
      if (caused.length === 0) return;
      const byResult = new Map(caused.map((c) => [c.change.resultId, c]));
      const recognitions = await recognitionsOfResults(tx, [...byResult.keys()], horizonStart(now));
      const rows = recallRows(recognitions, now, (group) => {
        const { change, cause } = byResult.get(group[0].resultId)!;
        return {
          result: { ...change, id: change.resultId },
          recall: {
            cause,
            result_version: change.version,
            changed_fields: change.changedFields,
            reasons: statusReasons(change.status),
          },
        };
      });
      await create(tx, rows, now);
    },

    /**
     * A certification event, in the transaction that records it: a suspension or revocation can reach
     * back (its effectiveFrom before exams already recognised). Each recognition of the issuer's results
     * within the horizon is judged again, as at its decision, with the timeline as it now stands; one
     * that the event makes no longer recognisable (for a certification reason it did not have before)
     * is recalled.
     */
    async onCertificationEvent(tx: Transaction<DB>, event: CertificationRecorded): Promise<void> {
      if (event.status === 'active') return;
      const now = event.recordedAt;
      const recognitions = await recognitionsOfIssuer(tx, event.hospitalId, horizonStart(now));
      if (recognitions.length === 0) return;
      const registry = await readRegistry(tx);
      const timeline = registry.certifications.get(event.hospitalId) ?? [];
      const before = {
        ...registry,
        certifications: new Map(registry.certifications).set(
          event.hospitalId,
          timeline.filter((e) => e.id !== event.id),
        ),
      };
      const results = new Map((await resultFactsOf(tx, [...new Set(recognitions.map((r) => r.resultId))])).map((r) => [r.id, r]));
      const recalled = recognitions.flatMap((recognition) => {
        const result = results.get(recognition.resultId);
        if (!result) return [];
        const reasonsOf = (registryAt: typeof registry) =>
          certificationRecallReasons(judgeAgain(registryAt, recognition, result, recognition.decidedAt)?.reasons ?? []);
        const reasons = reasonsOf(registry);
        return reasons.length > 0 && reasonsOf(before).length === 0 ? [{ recognition, result, reasons }] : [];
      });
      const reasonsOf = new Map(recalled.map((r) => [r.recognition.decisionId, r.reasons]));
      const rows = recallRows(
        recalled.map((r) => r.recognition),
        now,
        (group) => ({
          result: results.get(group[0].resultId)!,
          recall: {
            cause: 'certification',
            result_version: null,
            certification_event_id: event.id,
            changed_fields: [],
            reasons: [...new Set(group.flatMap((r) => reasonsOf.get(r.decisionId)!))],
          },
        }),
      );
      await create(tx, rows, now);
    },

    /** A hospital's recalls (administrators: anyone's), newest first. */
    async list(actor: Actor, query: { status?: 'open' | 'acknowledged'; hospitalId?: string; cursor?: string; limit: number }) {
      if (!actor.isAdmin && query.hospitalId !== undefined && query.hospitalId !== actor.hospitalId)
        throw new Forbidden(`This client acts for hospital ${actor.hospitalId}, not ${query.hospitalId}`);
      const rows = await listRecalls(db, {
        hospitalId: actor.isAdmin ? query.hospitalId : actor.hospitalId!,
        status: query.status,
        before: decodeCursor(query.cursor),
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      return { recalls: page.map(recallView), nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!.id) : null };
    },

    async get(actor: Actor, recallId: string) {
      const row = await findRecall(db, recallId);
      if (!row || (!actor.isAdmin && row.hospital_id !== actor.hospitalId)) throw new NotFound(`Recall ${recallId} does not exist`);
      return recallView(row);
    },

    /**
     * The recalled hospital takes note. Repeating the same acknowledgement answers it again; a
     * different one is a conflict (the first stands).
     */
    async acknowledge(actor: Actor, recallId: string, body: { acknowledgedBy: string; note?: string }) {
      if (actor.isAdmin) throw new Forbidden('Only the recalled hospital acknowledges a recall');
      return db.transaction().execute(async (tx) => {
        const row = await findRecall(tx, recallId, { lock: true });
        if (!row || row.hospital_id !== actor.hospitalId) throw new NotFound(`Recall ${recallId} does not exist`);
        const note = body.note ?? null;
        if (row.acknowledged_at !== null) {
          if (row.acknowledged_by === body.acknowledgedBy && row.acknowledgement_note === note) return recallView(row);
          throw new Conflict(`Recall ${recallId} was already acknowledged by ${row.acknowledged_by}`, 'already-acknowledged');
        }
        return recallView(await acknowledgeRecall(tx, recallId, { at: clock(), by: body.acknowledgedBy, clientId: actor.clientId, note }));
      });
    },
  };
}

export type RecallService = ReturnType<typeof createRecallService>;
