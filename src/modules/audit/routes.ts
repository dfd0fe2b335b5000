import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { problemResponses } from '../../http/schemas.ts';
import {
  auditListQuery,
  auditPage,
  auditPatientSearch,
  clientParams,
  patientsQuery,
  patientsReport,
  volumeQuery,
  volumeReport,
} from './schemas.ts';
import type { AuditService } from './service.ts';

const admin = { scopes: ['admin'] } as const;
const tags = ['audit'];

/** The audit trail of patient-data access and client authentication, for administrators. */
export const auditRoutes: FastifyPluginAsyncZod<{ audit: AuditService }> = async (app, { audit }) => {
  app.get('/v1/audit-events', {
    config: admin,
    schema: {
      operationId: 'listAuditEvents',
      tags,
      summary: 'List audit events, newest first',
      description: 'Filter by hospital, client, action, outcome and a time window [since, until). Page with the opaque nextCursor.',
      querystring: auditListQuery,
      response: { 200: auditPage, ...problemResponses },
    },
    handler: async (request) => audit.list(request.query),
  });

  app.post('/v1/audit-events/search', {
    config: { ...admin, audit: 'audit.search' },
    schema: {
      operationId: 'searchAuditEventsByPatient',
      tags,
      summary: "A patient's access history, newest first",
      description:
        'The patient travels in the body, never in a URL. This look-up is itself recorded (action audit.search). Page with the opaque nextCursor.',
      body: auditPatientSearch,
      response: { 200: auditPage, ...problemResponses },
    },
    handler: async (request) => audit.searchByPatient(request.actor, request.body),
  });

  app.get('/v1/audit-events/volumes', {
    config: admin,
    schema: {
      operationId: 'getAccessVolumes',
      tags,
      summary: 'Access volumes per client and day, unusual ones flagged',
      description:
        'Per client and Asia/Shanghai day: audit events, refused or failed attempts, and distinct patients whose data was disclosed. A day with more patients ' +
        'than AUDIT_UNUSUAL_PATIENTS_PER_DAY is flagged `unusual`. At most 92 days.',
      querystring: volumeQuery,
      response: { 200: volumeReport, ...problemResponses },
    },
    handler: async (request) => audit.volumes(request.query),
  });

  app.get('/v1/audit-events/clients/:clientId/patients', {
    config: admin,
    schema: {
      operationId: 'listPatientsReadByClient',
      tags,
      summary: 'The patients (keys) whose data a client was given',
      description:
        'In patient-key order with the number of accesses and the first and last; at most 92 days. Page with the opaque nextCursor.',
      params: clientParams,
      querystring: patientsQuery,
      response: { 200: patientsReport, ...problemResponses },
    },
    handler: async (request) => audit.patientsReadBy(request.params.clientId, request.query),
  });
};
