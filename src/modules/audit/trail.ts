import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import type { Metrics } from '../../metrics.ts';
import { appendAuditEvents, disclosedTo } from './repository.ts';

/** Every kind of access the trail records. */
export const auditActions = [
  'results.search',
  'results.read',
  'results.history',
  'recognition.check',
  'recognition.decision',
  'audit.search',
  'auth.token',
] as const;
export type AuditAction = (typeof auditActions)[number];
/** success; refused (the request was turned away: 4xx); failed (the service failed it: 5xx). */
export const auditOutcomes = ['success', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/** Where a request came from: its source address (behind TRUST_PROXY, the client's) and its request id. */
export interface RequestOrigin {
  sourceAddress: string | null;
  requestId: string | null;
}

/**
 * One access to patient data or one client authentication, with the fields of a FHIR AuditEvent
 * (IHE ATNA): what (action, patient key, results, the query), who (client, hospital, practitioner),
 * why (purpose), where from (origin), when, and the outcome.
 */
export interface AuditEntry {
  action: AuditAction;
  outcome: AuditOutcome;
  /** Why a refusal or failure happened: the problem type or OAuth error. */
  outcomeDetail?: string | null;
  at: Date;
  clientId: string | null;
  hospitalId: string | null;
  practitionerId?: string | null;
  purpose?: string | null;
  patientKey?: string | null;
  checkId?: string | null;
  resultIds?: string[];
  query?: Record<string, unknown> | null;
  origin: RequestOrigin;
}

/**
 * The audit trail as services use it: `record` appends in the caller's transaction (so a read and
 * its event commit together); `counted` tells the metrics about events another statement wrote;
 * `disclosed` says whether a hospital was given a result lately (what a read by id may rely on).
 */
export function createAuditTrail(metrics: Metrics) {
  const counted = (action: AuditAction, outcome: AuditOutcome, events = 1) => metrics.auditEvents.inc({ action, outcome }, events);
  return {
    async record(executor: Kysely<DB> | Transaction<DB>, ...entries: AuditEntry[]): Promise<void> {
      await appendAuditEvents(executor, entries);
      for (const entry of entries) counted(entry.action, entry.outcome);
    },
    counted,
    disclosed: disclosedTo,
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
