import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../db/database.ts';
import { uuidShape } from '../http/schemas.ts';
import type { RefusalSubject } from '../errors.ts';
import type { AuditTrail } from '../modules/audit/index.ts';
import { derivePatientKey } from '../modules/patients/index.ts';
import { requestOrigin } from './auth.ts';

export interface AccessAuditOptions {
  db: Database;
  clock: () => Date;
  audit: AuditTrail;
  patientKeySecret: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The problem type an error answer carried (set by sendProblem), for the audit trail. */
    problemType?: string;
    /** Whose data a refused request reached, when the service found out (set by sendError from the error). */
    problemSubject?: RefusalSubject;
  }
}

const identityTypes = new Set(['resident_id', 'passport', 'other']);
const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const shortText = (value: unknown, max = 64) =>
  typeof value === 'string' && value.length <= max && value.isWellFormed() && !value.includes('\u0000') ? value : null;

/**
 * The fields of a request that say what was asked without saying who it was about. Anything else
 * a refused request carried (above all a patient identity, wherever a careless client put it) is
 * only counted: the audit trail is append-only, so an identifier stored there could never be removed.
 */
const askedFields = new Set([
  'accessionNo',
  'action',
  'checkId',
  'context',
  'cursor',
  'decisions',
  'emergency',
  'forensic',
  'conditionChanged',
  'itemCode',
  'itemCodes',
  'items',
  'limit',
  'needsThinSlice',
  'patientRequest',
  'preSurgery',
  'preTransfusion',
  'rapidChange',
  'reasonCode',
  'resultId',
  'since',
  'until',
]);

/** What a refused request asked: known fields only, at most 4 levels, 50 list entries and 64 characters each. */
function asked(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return shortText(value) ?? '[not kept]';
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 4) return '[nested too deep]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => asked(v, depth + 1));
  const entries = Object.entries(value);
  const known = entries.filter(([key]) => askedFields.has(key));
  const others = entries.length - known.length;
  return Object.fromEntries([...known.map(([key, v]) => [key, asked(v, depth + 1)]), ...(others > 0 ? [['otherFields', others]] : [])]);
}

/**
 * Refused and failed attempts on the routes that disclose patient data (config.audit) are audited
 * too; a successful access is recorded by its service, in the transaction that read the data.
 * Recorded once the answer is sent. Shed requests (429, 503) are counted in the metrics instead, so
 * a flood of them never turns into a flood of writes.
 */
async function accessAudit(app: FastifyInstance, { db, clock, audit, patientKeySecret }: AccessAuditOptions) {
  app.addHook('onResponse', async (request, reply) => {
    const action = request.routeOptions.config.audit;
    const status = reply.statusCode;
    if (!action || status < 400 || status === 429 || status === 503) return;
    const body = asRecord(request.body);
    const patient = asRecord(body.patient);
    const idNumber = shortText(patient.idNumber);
    const key =
      typeof patient.idType === 'string' && identityTypes.has(patient.idType) && idNumber
        ? derivePatientKey({ idType: patient.idType as 'passport', idNumber }, patientKeySecret, clock())
        : null;
    const params = asRecord(request.params);
    const checkId = typeof params.checkId === 'string' && uuidShape.test(params.checkId) ? params.checkId : null;
    try {
      await audit.record(db, {
        action,
        outcome: status >= 500 ? 'failed' : 'refused',
        outcomeDetail: `${status} ${request.problemType ?? ''}`.trim(),
        at: clock(),
        clientId: request.actor?.clientId ?? null,
        hospitalId: request.actor?.hospitalId ?? null,
        // FHIR names the doctor in a header, the REST API in the body.
        practitionerId: shortText(body.practitionerId ?? request.headers['x-practitioner-id']),
        purpose: shortText(body.purpose),
        patientKey: request.problemSubject?.patientKey ?? (typeof key === 'string' ? key : null),
        resultIds: request.problemSubject?.resultIds,
        checkId: request.problemSubject?.checkId ?? checkId,
        query: asked({ ...params, ...body }) as Record<string, unknown>,
        origin: requestOrigin(request),
      });
    } catch (error) {
      request.log.error({ err: error }, 'recording a refused access in the audit trail failed');
    }
  });
}

export default fp(accessAudit, { name: 'access-audit' });
