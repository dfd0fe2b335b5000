import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import type { AuditEntry } from './trail.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/** Appends events (the table is append-only: a trigger refuses updates and deletes). */
export async function appendAuditEvents(db: Executor, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('audit_events')
    .values(
      entries.map((e) => ({
        occurred_at: e.at,
        action: e.action,
        outcome: e.outcome,
        outcome_detail: e.outcomeDetail ?? null,
        client_id: e.clientId,
        hospital_id: e.hospitalId,
        practitioner_id: e.practitionerId ?? null,
        purpose: e.purpose ?? null,
        patient_key: e.patientKey ?? null,
        check_id: e.checkId ?? null,
        // A check's events are kept with the check (on Citus, on its shard); others get a fresh route.
        ...(e.checkId ? { route: e.checkId } : {}),
        result_ids: e.resultIds ?? [],
        query: e.query ? JSON.stringify(e.query) : null,
        source_address: e.origin.sourceAddress,
        request_id: e.origin.requestId,
      })),
    )
    .execute();
}

/** Keyset position: the exact (microsecond) occurred_at as text, and the id. */
export interface AuditPosition {
  occurredAt: string;
  id: number;
}

export interface AuditFilter {
  hospitalId?: string;
  clientId?: string;
  action?: string;
  outcome?: string;
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
      'outcome',
      'outcome_detail',
      'client_id',
      'hospital_id',
      'practitioner_id',
      'purpose',
      'check_id',
      'result_ids',
      'query',
      'source_address',
      'request_id',
      sql<string>`to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position_at'),
    ]);
  if (filter.hospitalId !== undefined) query = query.where('hospital_id', '=', filter.hospitalId);
  if (filter.patientKey !== undefined) query = query.where('patient_key', '=', filter.patientKey);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome as 'success');
  if (filter.since) query = query.where('occurred_at', '>=', filter.since);
  if (filter.until) query = query.where('occurred_at', '<', filter.until);
  if (filter.after) {
    const { occurredAt, id } = filter.after;
    query = query.where(sql<boolean>`(occurred_at, id) < (${occurredAt}::timestamptz, ${id}::bigint)`);
  }
  return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

/** A half-open window of instants: Asia/Shanghai days converted by the caller. */
export interface Window {
  from: Date;
  to: Date;
}

/**
 * Access volumes per client and Asia/Shanghai day: events, refusals and failures, and distinct
 * patients whose data was disclosed. Follows audit_events_client_idx.
 */
export function accessVolumes(db: Executor, window: Window, clientId?: string) {
  const day = sql<string>`to_char(occurred_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD')`;
  let query = db
    .selectFrom('audit_events')
    .select((eb) => [
      day.as('day'),
      'client_id',
      eb.fn.max('hospital_id').as('hospital_id'),
      eb.fn.countAll<number>().as('events'),
      sql<number>`count(*) filter (where outcome <> 'success')`.as('unsuccessful'),
      sql<number>`count(distinct patient_key) filter (where outcome = 'success')`.as('patients'),
    ])
    .where('client_id', 'is not', null)
    .where('occurred_at', '>=', window.from)
    .where('occurred_at', '<', window.to);
  if (clientId !== undefined) query = query.where('client_id', '=', clientId);
  return query.groupBy([day, 'client_id']).orderBy('day', 'desc').orderBy('patients', 'desc').orderBy('client_id').execute();
}

/** The patients (keys) whose data a client was given in a window, by key, after `afterKey`. */
export function patientsReadBy(db: Executor, clientId: string, window: Window, limit: number, afterKey?: string) {
  let query = db
    .selectFrom('audit_events')
    .select((eb) => [
      'patient_key',
      eb.fn.countAll<number>().as('events'),
      eb.fn.min('occurred_at').as('first_at'),
      eb.fn.max('occurred_at').as('last_at'),
    ])
    .where('client_id', '=', clientId)
    .where('outcome', '=', 'success')
    .where('patient_key', 'is not', null)
    .where('occurred_at', '>=', window.from)
    .where('occurred_at', '<', window.to);
  if (afterKey !== undefined) query = query.where('patient_key', '>', afterKey);
  return query.groupBy('patient_key').orderBy('patient_key').limit(limit).execute();
}

/**
 * Whether the exchange gave a hospital this result since `since` by the patient's identity: a successful
 * search or check of the hospital about the result's patient that named the result. Reads by id do not
 * count, so reading a result again never keeps it readable. Follows audit_events_patient_idx: one
 * patient's events of a day are few.
 */
export async function disclosedTo(
  db: Executor,
  disclosure: { hospitalId: string; patientKey: string; resultId: string; since: Date },
): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('patient_key', '=', disclosure.patientKey)
    .where('occurred_at', '>=', disclosure.since)
    .where('hospital_id', '=', disclosure.hospitalId)
    .where('outcome', '=', 'success')
    .where('action', 'in', ['results.search', 'recognition.check'])
    .where(sql<boolean>`result_ids @> array[${disclosure.resultId}::uuid]`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The audit events of recognition checks' reads, as a statement over the rows of `relation`, for the
 * check's own single statement (a data-modifying CTE). `relation` has the check's columns: id,
 * created_at, client_id, receiving_hospital_id, practitioner_id, purpose, patient_key, result_ids,
 * source_address, request_id and query.
 */
export function auditChecksFrom(relation: string) {
  return sql`
    insert into audit_events (${checkEventColumns})
    select created_at, 'recognition.check', 'success', client_id, receiving_hospital_id, practitioner_id, purpose, patient_key, id, id, result_ids,
      source_address, request_id, query
    from ${sql.table(relation)}`;
}

/** The audit event of one check's read, as `insert … values` naming the check's id (which Citus routes to the check's shard). */
export function auditCheckValues(check: {
  id: string;
  created_at: Date;
  client_id: string;
  receiving_hospital_id: string;
  practitioner_id: string;
  purpose: string;
  patient_key: string;
  result_ids: string[];
  source_address: string | null;
  request_id: string | null;
  query: Record<string, unknown>;
}) {
  const id = sql`${check.id}::uuid`;
  return sql`
    insert into audit_events (${checkEventColumns})
    values (${check.created_at}, 'recognition.check', 'success', ${check.client_id}, ${check.receiving_hospital_id}, ${check.practitioner_id},
      ${check.purpose}, ${check.patient_key}, ${id}, ${id}, ${check.result_ids}::uuid[], ${check.source_address}, ${check.request_id},
      ${JSON.stringify(check.query)}::jsonb)`;
}

const checkEventColumns = sql`occurred_at, action, outcome, client_id, hospital_id, practitioner_id, purpose, patient_key, check_id, route, result_ids,
      source_address, request_id, query`;
