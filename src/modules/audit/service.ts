import { z } from 'zod';
import { invalidFields } from '../../http/validation.ts';
import type { Database } from '../../db/database.ts';
import { BadRequest } from '../../errors.ts';
import type { Actor } from '../auth/index.ts';
import { derivePatientKey } from '../patients/index.ts';
import { shanghaiDate } from '../../calendar.ts';
import { accessVolumes, listAuditEvents, patientsReadBy, type AuditFilter, type AuditPosition, type Window } from './repository.ts';
import {
  maxVolumeDays,
  type AuditEvent,
  type AuditListQuery,
  type AuditPatientSearch,
  type PatientsQuery,
  type VolumeQuery,
} from './schemas.ts';
import type { AuditTrail } from './trail.ts';

export interface AuditServiceDeps {
  db: Database;
  clock: () => Date;
  patientKeySecret: string;
  audit: AuditTrail;
  unusualPatientsPerDay: number;
}

const position = z.object({ at: z.iso.datetime({ precision: 6 }), id: z.number().int().positive() });
const dayMs = 86_400_000;

function badCursor(): never {
  const error = { field: 'cursor', message: 'is not a cursor this service issued' };
  throw invalidFields([error]);
}

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
    return badCursor();
  }
}

/** Asia/Shanghai days [from, to] (default: the week to today) as instants, at most `maxVolumeDays` long. */
function dayWindow(query: { from?: string; to?: string }, now: Date): Window & { fromDay: string; toDay: string } {
  const toDay = query.to ?? shanghaiDate(now)!;
  const fromDay = query.from ?? new Date(Date.parse(toDay) - 6 * dayMs).toISOString().slice(0, 10);
  const days = (Date.parse(toDay) - Date.parse(fromDay)) / dayMs + 1;
  if (days < 1) throw new BadRequest('The period ends before it starts', [{ field: 'from', message: 'must not be after to' }]);
  if (days > maxVolumeDays)
    throw new BadRequest(`At most ${maxVolumeDays} days`, [{ field: 'from', message: `must be within ${maxVolumeDays} days of to` }]);
  return { fromDay, toDay, from: new Date(`${fromDay}T00:00:00+08:00`), to: new Date(Date.parse(`${toDay}T00:00:00+08:00`) + dayMs) };
}

export function createAuditService({ db, clock, patientKeySecret, audit, unusualPatientsPerDay }: AuditServiceDeps) {
  async function page(filter: Omit<AuditFilter, 'limit'>, limit: number) {
    const rows = await listAuditEvents(db, { ...filter, limit: limit + 1 });
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    const events: AuditEvent[] = rows.slice(0, limit).map((row) => ({
      id: row.id,
      occurredAt: row.occurred_at,
      action: row.action as AuditEvent['action'],
      outcome: row.outcome,
      outcomeDetail: row.outcome_detail,
      clientId: row.client_id,
      hospitalId: row.hospital_id,
      practitionerId: row.practitioner_id,
      purpose: row.purpose,
      checkId: row.check_id,
      resultIds: row.result_ids,
      query: row.query,
      sourceAddress: row.source_address,
      requestId: row.request_id,
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
      if (typeof key !== 'string') throw invalidFields([key]);
      const answer = await page(
        { patientKey: key, since: search.since, until: search.until, after: decodeCursor(search.cursor) },
        search.limit,
      );
      await audit.record(db, {
        action: 'audit.search',
        outcome: 'success',
        at: now,
        clientId: actor.clientId,
        hospitalId: actor.hospitalId,
        patientKey: key,
        query: { since: search.since ?? null, until: search.until ?? null },
        origin: actor.origin,
      });
      return answer;
    },

    /** Access volumes per client and day; a day with more patients than the threshold is flagged. */
    async volumes(query: VolumeQuery) {
      const window = dayWindow(query, clock());
      const rows = await accessVolumes(db, window, query.clientId);
      return {
        from: window.fromDay,
        to: window.toDay,
        unusualPatientsPerDay,
        rows: rows.map((r) => ({
          day: r.day,
          clientId: r.client_id!,
          hospitalId: r.hospital_id,
          events: r.events,
          unsuccessful: r.unsuccessful,
          patients: r.patients,
          unusual: r.patients > unusualPatientsPerDay,
        })),
      };
    },

    /** The patients (keys) whose data a client was given, in key order, paginated. */
    async patientsReadBy(clientId: string, query: PatientsQuery) {
      const window = dayWindow(query, clock());
      let after: string | undefined;
      if (query.cursor !== undefined) {
        after = Buffer.from(query.cursor, 'base64url').toString('utf8');
        if (!/^[0-9a-f]{64}$/.test(after)) badCursor();
      }
      const rows = await patientsReadBy(db, clientId, window, query.limit + 1, after);
      const more = rows.length > query.limit;
      const patients = rows
        .slice(0, query.limit)
        .map((r) => ({ patientKey: r.patient_key!, events: r.events, firstAt: r.first_at, lastAt: r.last_at }));
      return {
        clientId,
        from: window.fromDay,
        to: window.toDay,
        patients,
        nextCursor: more ? Buffer.from(patients.at(-1)!.patientKey).toString('base64url') : null,
      };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
