import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { Database } from '../../db/database.ts';
import { problemResponses } from '../../http/schemas.ts';
import { auditListQuery, auditPage, auditPatientSearch } from './schemas.ts';
import { createAuditService } from './service.ts';

export interface AuditRoutesOptions {
  db: Database;
  clock: () => Date;
  patientKeySecret: string;
}

/** The audit trail of patient-data reads, for administrators. Newest first, cursor-paginated. */
export const auditRoutes: FastifyPluginAsyncZod<AuditRoutesOptions> = async (app, options) => {
  const audit = createAuditService(options);

  app.get('/v1/audit-events', {
    config: { scopes: ['admin'] },
    schema: {
      operationId: 'listAuditEvents',
      tags: ['audit'],
      summary: 'List audit events, newest first',
      description: 'Filter by the acting hospital and a time window [since, until). Page with the opaque nextCursor.',
      querystring: auditListQuery,
      response: { 200: auditPage, ...problemResponses },
    },
    handler: async (request) => audit.list(request.query),
  });

  app.post('/v1/audit-events/search', {
    config: { scopes: ['admin'] },
    schema: {
      operationId: 'searchAuditEventsByPatient',
      tags: ['audit'],
      summary: "A patient's access history, newest first",
      description:
        'The patient travels in the body, never in a URL. This look-up is itself recorded (action audit.search). ' +
        'Page with the opaque nextCursor.',
      body: auditPatientSearch,
      response: { 200: auditPage, ...problemResponses },
    },
    handler: async (request) => audit.searchByPatient(request.actor, request.body),
  });
};
