import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { within } from '../../db/connection-tools.ts';
import type { DatabaseHandle } from '../../db/database.ts';
import { isMigrated } from '../../db/migrator.ts';
import { ProblemError } from '../../errors.ts';
import { problemResponses, problemSchema } from '../../http/schemas.ts';
import type { Metrics } from '../../metrics.ts';
import { sendProblem } from '../../plugins/problem.ts';

const health = z.object({ status: z.enum(['ok']), database: z.string().optional() }).meta({ id: 'Health' });

/** A readiness probe must answer within about two seconds, whatever the database does. */
const readinessTimeoutMs = 1_500;

export interface OpsRoutesOptions {
  database: DatabaseHandle;
  metrics: Metrics;
}

export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, { database, metrics }) => {
  // Migrations only ever get applied: once this instance saw its own all applied, they stay so.
  let migrated = false;
  const ready = async () => {
    await database.ping(readinessTimeoutMs);
    migrated ||= await isMigrated(database.db);
    return migrated;
  };

  app.get('/healthz', {
    config: { neverShed: true },
    schema: { operationId: 'getLiveness', tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: health } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      operationId: 'getReadiness',
      tags: ['operations'],
      summary: 'Readiness: the database answers and is fully migrated (503 otherwise, within about two seconds)',
      response: { 200: health, 503: problemSchema },
    },
    handler: async (request, reply) => {
      try {
        const timeout = () => new ProblemError(503, 'not-ready', 'Not ready', 'The database did not answer in time');
        if (await within(readinessTimeoutMs + 500, ready(), timeout)) return { status: 'ok' as const, database: database.kind };
        return sendProblem(request, reply, 503, 'not-ready', 'Not ready', 'The database has pending migrations');
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        reply.header('retry-after', '5');
        return sendProblem(request, reply, 503, 'not-ready', 'Not ready', 'The database is unreachable or did not answer in time');
      }
    },
  });

  app.get('/metrics', {
    config: { scopes: ['admin'], neverShed: true, produces: 'text/plain; version=0.0.4; charset=utf-8' },
    schema: {
      operationId: 'getMetrics',
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format)',
      description: 'For administrators; a deployment may serve them without authentication on a separate port instead (METRICS_PORT).',
      response: { 200: z.string().describe('Prometheus text exposition format 0.0.4'), ...problemResponses },
    },
    handler: async (_request, reply) =>
      reply
        .type(metrics.contentType)
        .serializer((payload) => payload as string)
        .send(await metrics.text()),
  });
};
