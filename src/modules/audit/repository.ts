import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface NewAuditEvent {
  occurredAt: Date;
  action: string;
  clientId: string;
  hospitalId: string | null;
  practitionerId?: string | null;
  purpose?: string | null;
  patientKey?: string | null;
  checkId?: string | null;
  resultIds?: string[];
}

/** Appends one event (the table is append-only: a trigger refuses updates and deletes). */
export async function appendAuditEvent(db: Executor, event: NewAuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      occurred_at: event.occurredAt,
      action: event.action,
      client_id: event.clientId,
      hospital_id: event.hospitalId,
      practitioner_id: event.practitionerId ?? null,
      purpose: event.purpose ?? null,
      patient_key: event.patientKey ?? null,
      check_id: event.checkId ?? null,
      result_ids: event.resultIds ?? [],
    })
    .execute();
}

/** Keyset position: the exact (microsecond) occurred_at as text, and the id. */
export interface AuditPosition {
  occurredAt: string;
  id: number;
}

export interface AuditFilter {
  hospitalId?: string;
  patientKey?: string;
  since?: Date;
  until?: Date;
  after?: AuditPosition;
  limit: number;
}

/**
 * Events newest first, by keyset on (occurred_at, id). The position travels as PostgreSQL's own text
 * of occurred_at, because a JavaScript Date would drop the microseconds and skip rows between pages.
 * Patient and hospital filters follow audit_events_patient_idx and audit_events_hospital_idx.
 */
export async function listAuditEvents(db: Executor, filter: AuditFilter) {
  let query = db
    .selectFrom('audit_events')
    .select([
      'id',
      'occurred_at',
      'action',
      'client_id',
      'hospital_id',
      'practitioner_id',
      'purpose',
      'check_id',
      'result_ids',
      sql<string>`to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position_at'),
    ]);
  if (filter.hospitalId !== undefined) query = query.where('hospital_id', '=', filter.hospitalId);
  if (filter.patientKey !== undefined) query = query.where('patient_key', '=', filter.patientKey);
  if (filter.since) query = query.where('occurred_at', '>=', filter.since);
  if (filter.until) query = query.where('occurred_at', '<', filter.until);
  if (filter.after) {
    const { occurredAt, id } = filter.after;
    query = query.where(sql<boolean>`(occurred_at, id) < (${occurredAt}::timestamptz, ${id}::bigint)`);
  }
  return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}
