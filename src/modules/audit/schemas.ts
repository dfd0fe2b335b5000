import { z } from 'zod';
import { calendarDate, cursor, cursorPage, dateTime, identifier, instant, patientIdentity } from '../../http/schemas.ts';
import { auditActions, auditOutcomes } from './trail.ts';

const window = {
  since: instant.optional().describe('Events at or after this instant'),
  until: instant.optional().describe('Events before this instant'),
};

export const auditListQuery = cursorPage.extend({
  hospitalId: identifier.optional().describe('Only events of clients acting for this hospital'),
  clientId: identifier.optional().describe('Only events of this client'),
  action: z.enum(auditActions).optional(),
  outcome: z.enum(auditOutcomes).optional(),
  ...window,
});
export type AuditListQuery = z.output<typeof auditListQuery>;

export const auditPatientSearch = z
  .strictObject({
    patient: patientIdentity,
    ...window,
    limit: z.number().int().min(1).max(500).default(100),
    cursor: cursor.optional(),
  })
  .meta({ id: 'AuditPatientSearch' });
export type AuditPatientSearch = z.output<typeof auditPatientSearch>;

export const auditEvent = z
  .object({
    id: z.number().int(),
    occurredAt: dateTime,
    action: z.enum(auditActions),
    outcome: z.enum(auditOutcomes).describe('success; refused (the request was turned away, 4xx); failed (the service failed it, 5xx)'),
    outcomeDetail: z.string().nullable().describe('Why it was refused or failed: the problem type or OAuth error and the status'),
    clientId: z.string().nullable().describe('null for an attempt without a valid token'),
    hospitalId: z.string().nullable(),
    practitionerId: z.string().nullable(),
    purpose: z.string().nullable(),
    checkId: z.string().nullable(),
    resultIds: z.array(z.string()).describe('The results disclosed'),
    query: z.record(z.string(), z.unknown()).nullable().describe('What was asked: items, since, an accession number'),
    sourceAddress: z.string().nullable(),
    requestId: z.string().nullable(),
  })
  .meta({
    id: 'AuditEvent',
    description:
      'One access to patient data or one client authentication. The patient key is not shown: find a patient’s events by POST /v1/audit-events/search.',
  });
export type AuditEvent = z.output<typeof auditEvent>;

export const auditPage = z
  .object({
    events: z.array(auditEvent),
    nextCursor: z.string().nullable().describe('Pass as cursor for the next (older) page; null on the last page'),
  })
  .meta({ id: 'AuditEventPage' });

/** The longest span of days an access-volume query may cover. */
export const maxVolumeDays = 92;

const days = {
  from: calendarDate.optional().describe('First Asia/Shanghai day (default: 6 days before `to`)'),
  to: calendarDate.optional().describe('Last Asia/Shanghai day, inclusive (default: today)'),
};

export const volumeQuery = z.object({ ...days, clientId: identifier.optional() });
export type VolumeQuery = z.output<typeof volumeQuery>;

export const volumeReport = z
  .object({
    from: z.string(),
    to: z.string(),
    unusualPatientsPerDay: z.number().int().describe('The threshold (AUDIT_UNUSUAL_PATIENTS_PER_DAY) above which a day is flagged'),
    rows: z.array(
      z.object({
        day: z.string(),
        clientId: z.string(),
        hospitalId: z.string().nullable(),
        events: z.number().int(),
        unsuccessful: z.number().int().describe('Refused or failed attempts'),
        patients: z.number().int().describe('Distinct patients whose data was disclosed'),
        unusual: z.boolean().describe('More patients than the threshold: review this client’s access'),
      }),
    ),
  })
  .meta({ id: 'AccessVolumes' });

export const clientParams = z.object({ clientId: identifier });
export const patientsQuery = z.object({
  ...days,
  limit: z.coerce.number().int().min(1).max(1_000).default(500),
  cursor: cursor.optional(),
});
export type PatientsQuery = z.output<typeof patientsQuery>;

export const patientsReport = z
  .object({
    clientId: z.string(),
    from: z.string(),
    to: z.string(),
    patients: z.array(z.object({ patientKey: z.string(), events: z.number().int(), firstAt: dateTime, lastAt: dateTime })),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'PatientsReadByClient', description: 'Patients by their pseudonymous key: the exchange never holds who they are.' });
