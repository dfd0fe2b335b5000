import { z } from 'zod';
import { cursorPage, identifier, instant, patientIdentity } from '../../http/schemas.ts';

const window = {
  since: instant.optional().describe('Events at or after this instant'),
  until: instant.optional().describe('Events before this instant'),
};

export const auditListQuery = cursorPage.extend({
  hospitalId: identifier.optional().describe('Only events of clients acting for this hospital'),
  ...window,
});
export type AuditListQuery = z.output<typeof auditListQuery>;

export const auditPatientSearch = z
  .strictObject({
    patient: patientIdentity,
    ...window,
    limit: z.number().int().min(1).max(500).default(100),
    cursor: z.string().max(200).optional().describe('The nextCursor of the previous page'),
  })
  .meta({ id: 'AuditPatientSearch' });
export type AuditPatientSearch = z.output<typeof auditPatientSearch>;

export const auditEvent = z
  .object({
    id: z.number().int(),
    occurredAt: z.date(),
    action: z.string().describe('e.g. results.search, audit.search'),
    clientId: z.string(),
    hospitalId: z.string().nullable(),
    practitionerId: z.string().nullable(),
    purpose: z.string().nullable(),
    checkId: z.string().nullable(),
    resultIds: z.array(z.string()).describe('The results disclosed'),
  })
  .meta({ id: 'AuditEvent', description: 'One access to patient data. The patient key is not shown: find a patient’s events by POST /v1/audit-events/search.' });
export type AuditEvent = z.output<typeof auditEvent>;

export const auditPage = z
  .object({
    events: z.array(auditEvent),
    nextCursor: z.string().nullable().describe('Pass as cursor for the next (older) page; null on the last page'),
  })
  .meta({ id: 'AuditEventPage' });
