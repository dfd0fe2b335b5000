import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { BadRequest } from '../../errors.ts';
import type { Actor } from '../auth/scopes.ts';
import { derivePatientKey, validationDetail } from '../results/submission.ts';
import { appendAuditEvent, listAuditEvents, type AuditFilter, type AuditPosition } from './repository.ts';
import type { AuditEvent, AuditListQuery, AuditPatientSearch } from './schemas.ts';

export interface AuditServiceDeps {
  db: Database;
  clock: () => Date;
  patientKeySecret: string;
}

const position = z.object({ at: z.iso.datetime({ precision: 6 }), id: z.number().int().positive() });

/** The cursor is opaque to clients: base64url of the last event's exact (occurred_at, id). */
function encodeCursor(p: AuditPosition): string {
  return Buffer.from(JSON.stringify({ at: p.occurredAt, id: p.id })).toString('base64url');
}

function decodeCursor(cursor: string | undefined): AuditPosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = position.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { occurredAt: parsed.at, id: parsed.id };
  } catch {
    const error = { field: 'cursor', message: 'is not a cursor this service issued' };
    throw new BadRequest(validationDetail([error]), [error]);
  }
}

export function createAuditService({ db, clock, patientKeySecret }: AuditServiceDeps) {
  async function page(filter: Omit<AuditFilter, 'limit'>, limit: number) {
    const rows = await listAuditEvents(db, { ...filter, limit: limit + 1 });
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    const events: AuditEvent[] = rows.slice(0, limit).map((row) => ({
      id: row.id,
      occurredAt: row.occurred_at,
      action: row.action,
      clientId: row.client_id,
      hospitalId: row.hospital_id,
      practitionerId: row.practitioner_id,
      purpose: row.purpose,
      checkId: row.check_id,
      resultIds: row.result_ids,
    }));
    return { events, nextCursor: last ? encodeCursor({ occurredAt: last.position_at, id: last.id }) : null };
  }

  return {
    list(query: AuditListQuery) {
      const { limit, cursor, ...filter } = query;
      return page({ ...filter, after: decodeCursor(cursor) }, limit);
    },

    /**
     * One patient's access history. Looking it up is itself an access to patient data, so it is
     * recorded too (action audit.search), after the page is read.
     */
    async searchByPatient(actor: Actor, search: AuditPatientSearch) {
      const now = clock();
      const key = derivePatientKey(search.patient, patientKeySecret, now);
      if (typeof key !== 'string') throw new BadRequest(validationDetail([key]), [key]);
      const answer = await page({ patientKey: key, since: search.since, until: search.until, after: decodeCursor(search.cursor) }, search.limit);
      await appendAuditEvent(db, { occurredAt: now, action: 'audit.search', clientId: actor.clientId, hospitalId: actor.hospitalId, patientKey: key });
      return answer;
    },
  };
}
