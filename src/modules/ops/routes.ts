import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { isMigrated } from '../../db/migrator.ts';
import { problemSchema } from '../../http/schemas.ts';
import { sendProblem } from '../../plugins/problem.ts';

const health = z.object({ status: z.enum(['ok']), database: z.string().optional() }).meta({ id: 'Health' });

export const opsRoutes: FastifyPluginAsyncZod<{ db: Database; databaseKind: string }> = async (app, { db, databaseKind }) => {
  app.get('/healthz', {
    schema: { operationId: 'getLiveness', tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: health } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      operationId: 'getReadiness',
      tags: ['operations'],
      summary: 'Readiness: the database is reachable and fully migrated (503 otherwise)',
      response: { 200: health, 503: problemSchema },
    },
    handler: async (request, reply) => {
      try {
        if (await isMigrated(db)) return { status: 'ok' as const, database: databaseKind };
        return sendProblem(request, reply, 503, 'not-ready', 'Not ready', 'The database has pending migrations');
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        return sendProblem(request, reply, 503, 'not-ready', 'Not ready', 'The database is unreachable');
      }
    },
  });
};
