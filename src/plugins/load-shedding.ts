import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ServiceUnavailable } from '../errors.ts';

export type ShedReason = 'event-loop' | 'shutting-down';

export interface LoadSheddingOptions {
  maxEventLoopDelayMs: number;
  onShed: (reason: ShedReason) => void;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered even when the process is overloaded (liveness, metrics). */
    neverShed?: boolean;
  }
}

/**
 * Refuses work the process cannot do well, before doing any of it: 503 problem+json with
 * Retry-After while the event loop lags past its bound (a queue building up in the process), and
 * for every request that arrives once shutdown has begun (the load balancer should send it
 * elsewhere). Waiting for a database connection is bounded by the pool itself (src/db/postgres.ts).
 */
async function loadShedding(app: FastifyInstance, { maxEventLoopDelayMs, onShed }: LoadSheddingOptions) {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    onShed('shutting-down');
    reply.header('connection', 'close');
    throw new ServiceUnavailable('The service is shutting down; retry on another instance', 'shutting-down', 1);
  });

  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    pressureHandler: async (request) => {
      if (request.routeOptions.config.neverShed) return;
      onShed('event-loop');
      throw new ServiceUnavailable('The service is overloaded; retry shortly', 'overloaded', 1);
    },
  });
}

export default fp(loadShedding, { name: 'load-shedding' });
