import { invalidFields } from '../../http/validation.ts';
import { instant, uuidShape } from '../../http/schemas.ts';
import type { Database } from '../../db/database.ts';
import { Forbidden, NotFound, type FieldError } from '../../errors.ts';
import { actingHospital } from '../auth/index.ts';
import type { Actor } from '../auth/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { purposeRefusal } from '../rules/index.ts';
import { rememberAnswer, type IdempotentRequest } from '../idempotency/index.ts';
import { findAccessions } from './accessions.ts';
import { findPatientResults, findResult, resolveItems } from './repository.ts';
import { createResultWriter } from './write.ts';
import {
  accessionNo as accessionNoSchema,
  batchResultItem,
  searchPageBytes,
  type BatchResponse,
  type ResultSearch,
  type ResultSubmission,
} from './schemas.ts';
import { toSearchResult, toStoredResult } from './mappers.ts';
import { createResultHistory, type RecognisedBy, type ResultChangeListener } from './history.ts';
import { createResultRead } from './read.ts';
import { itemProblem, prepareSubmission, type ItemLookup, type ItemRef, type PreparedResult } from './submission.ts';
import { fieldErrors } from '../../http/validation.ts';
import { derivePatientKey } from '../patients/index.ts';

export interface ResultServiceDeps {
  db: Database;
  clock: () => Date;
  patientKeySecret: string;
  audit: AuditTrail;
  /** Told of every new version of a result, in the transaction that stores it. */
  onChange: ResultChangeListener;
  recognisedBy: RecognisedBy;
}

/** The search cursor: base64url of the last result's exact performed_at and id. */
function encodeSearchCursor(position: { performedAt: string; id: string }): string {
  return Buffer.from(`${position.performedAt}/${position.id}`).toString('base64url');
}

function decodeSearchCursor(cursor: string | undefined): { performedAt: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\/(.{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  // Both parts go to the database as a timestamp and a uuid: a forged one must be refused here, not there.
  if (!match || !instant.safeParse(match[1]).success || !uuidShape.test(match[2])) {
    const error = { field: 'cursor', message: 'is not a cursor this service issued' };
    throw invalidFields([error]);
  }
  return { performedAt: match[1], id: match[2] };
}

export type ResultService = ReturnType<typeof createResultService>;

export function createResultService({ db, clock, patientKeySecret, audit, onChange, recognisedBy }: ResultServiceDeps) {
  /** The catalogue items a set of submissions names, in one query. */
  async function lookupItems(hospitalId: string, submissions: ResultSubmission[]): Promise<ItemLookup> {
    const itemCodes = new Set<string>();
    const localCodes = new Set<string>();
    for (const s of submissions) {
      if (s.itemCode !== undefined) itemCodes.add(s.itemCode);
      if (s.localCode !== undefined) localCodes.add(s.localCode);
    }
    const rows = await resolveItems(db, hospitalId, [...itemCodes], [...localCodes]);
    const byCode = new Map<string, ItemRef>();
    const byLocalCode = new Map<string, ItemRef>();
    for (const row of rows) (row.via === 'code' ? byCode : byLocalCode).set(row.given, { code: row.code, category: row.category });
    return { byCode, byLocalCode };
  }

  const write = createResultWriter(onChange);

  return {
    history: createResultHistory({ db, clock, audit, recognisedBy }),
    read: createResultRead({ db, clock, audit, recognisedBy }),

    /** Which of these accession numbers the caller's hospital has results under (no patient data: no audit). */
    async storedAccessions(actor: Actor, accessionNos: string[]): Promise<Set<string>> {
      return new Set((await findAccessions(db, actingHospital(actor), accessionNos)).map((row) => row.accession_no));
    },

    async submit(actor: Actor, accessionNo: string, submission: ResultSubmission) {
      const issuer = actingHospital(actor);
      const now = clock();
      const items = await lookupItems(issuer, [submission]);
      const prepared = prepareSubmission(accessionNo, submission, { items, now, patientKeySecret });
      if (Array.isArray(prepared)) throw invalidFields(prepared);
      return db.transaction().execute(async (tx) => {
        const written = (await write(tx, [prepared], issuer, actor.clientId, now)).get(accessionNo)!;
        const stored = await findResult(tx, issuer, accessionNo);
        return { ...toStoredResult(stored!), outcome: written.outcome };
      });
    },

    /**
     * Each item is validated on its own; a rejected item never holds back the others, unless the
     * caller asks for all or nothing (a FHIR transaction): then every item is validated first and
     * nothing is written when one is rejected (the others are answered rejected without a problem of
     * their own). An accession number may appear once per batch: every
     * later occurrence is rejected (a duplicate is more likely a client bug than an intended
     * amendment, and "last one wins" would hide it).
     */
    async submitBatch(
      actor: Actor,
      items: unknown[],
      idempotency?: IdempotentRequest,
      options: { allOrNothing?: boolean } = {},
    ): Promise<BatchResponse> {
      const issuer = actingHospital(actor);
      const now = clock();
      const answers: BatchResponse['results'] = items.map((raw, index) => {
        const candidate = accessionNoSchema.safeParse((raw as { accessionNo?: unknown } | null)?.accessionNo);
        return { index, accessionNo: candidate.success ? candidate.data : null, outcome: 'rejected' };
      });
      const reject = (index: number, errors: FieldError[]) => (answers[index].problem = itemProblem(errors));

      const accepted: { index: number; item: ResultSubmission & { accessionNo: string } }[] = [];
      const firstIndex = new Map<string, number>();
      items.forEach((raw, index) => {
        const accessionNo = answers[index].accessionNo;
        if (accessionNo !== null) {
          const first = firstIndex.get(accessionNo);
          if (first !== undefined) {
            return reject(index, [
              { field: 'accessionNo', message: `duplicate of item ${first}: an accession number may appear once per batch` },
            ]);
          }
          firstIndex.set(accessionNo, index);
        }
        const parsed = batchResultItem.safeParse(raw);
        if (!parsed.success) return reject(index, fieldErrors(parsed.error.issues, [], 'item'));
        accepted.push({ index, item: parsed.data });
      });

      const lookup = await lookupItems(
        issuer,
        accepted.map((a) => a.item),
      );
      const prepared: { index: number; result: PreparedResult }[] = [];
      for (const { index, item } of accepted) {
        const { accessionNo, ...submission } = item;
        const result = prepareSubmission(accessionNo, submission, { items: lookup, now, patientKeySecret });
        if (Array.isArray(result)) reject(index, result);
        else prepared.push({ index, result });
      }

      if (options.allOrNothing && prepared.length < items.length) return { results: answers };
      if (prepared.length === 0 && !idempotency) return { results: answers };
      return db.transaction().execute(async (tx) => {
        const written = await write(
          tx,
          prepared.map((p) => p.result),
          issuer,
          actor.clientId,
          now,
        );
        for (const { index, result } of prepared) {
          const outcome = written.get(result.accessionNo)!;
          answers[index] = {
            index,
            accessionNo: result.accessionNo,
            outcome: outcome.outcome,
            resultId: outcome.resultId,
            version: outcome.version,
          };
        }
        const response = { results: answers };
        if (idempotency)
          await rememberAnswer(tx, idempotency.clientId, idempotency.key, {
            requestHash: idempotency.requestHash,
            statusCode: 200,
            response,
            createdAt: now,
          });
        return response;
      });
    },

    /** The issuer reads back one of its results: an access to patient data, audited with the read. */
    async get(actor: Actor, accessionNo: string) {
      const issuer = actingHospital(actor);
      return db.transaction().execute(async (tx) => {
        const stored = await findResult(tx, issuer, accessionNo);
        if (!stored) throw new NotFound(`Hospital ${issuer} has no result with accession number ${accessionNo}`);
        await audit.record(tx, {
          action: 'results.read',
          outcome: 'success',
          at: clock(),
          clientId: actor.clientId,
          hospitalId: issuer,
          patientKey: stored.patient_key,
          resultIds: [stored.id],
          query: { accessionNo },
          origin: actor.origin,
        });
        return toStoredResult(stored);
      });
    },

    /**
     * A patient's prior results for a doctor's treatment. The purpose is checked before anything is
     * read; the read and its audit event commit together.
     */
    async search(actor: Actor, search: ResultSearch) {
      const refusal = purposeRefusal(search.purpose);
      if (refusal) throw new Forbidden(refusal);
      const hospitalId = actingHospital(actor);
      const now = clock();
      const key = derivePatientKey(search.patient, patientKeySecret, now);
      if (typeof key !== 'string') throw invalidFields([key]);
      const after = decodeSearchCursor(search.cursor);
      return db.transaction().execute(async (tx) => {
        const found = await findPatientResults(tx, {
          patientKey: key,
          itemCodes: search.itemCodes,
          since: search.since,
          after,
          limit: search.limit + 1,
        });
        // A page ends at the limit, or earlier once its free text and values pass the byte budget (at least one result).
        let bytes = 0;
        let size = 0;
        while (size < Math.min(found.length, search.limit) && (size === 0 || bytes + found[size].free_form_bytes <= searchPageBytes)) {
          bytes += found[size].free_form_bytes;
          size += 1;
        }
        const page = found.slice(0, size);
        await audit.record(tx, {
          action: 'results.search',
          outcome: 'success',
          at: now,
          clientId: actor.clientId,
          hospitalId,
          practitionerId: search.practitionerId,
          purpose: search.purpose,
          patientKey: key,
          resultIds: page.map((r) => r.id),
          query: { itemCodes: search.itemCodes ?? null, since: search.since ?? null, cursor: search.cursor ?? null },
          origin: actor.origin,
        });
        const last = page.at(-1);
        const more = found.length > size;
        return {
          results: page.map(toSearchResult),
          nextCursor: more && last ? encodeSearchCursor({ performedAt: last.position_at, id: last.id }) : null,
        };
      });
    },
  };
}
