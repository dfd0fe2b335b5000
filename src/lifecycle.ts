import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from './db/database.ts';

/**
 * Graceful close, in order: stop accepting connections and let in-flight requests finish
 * (Fastify's close), let the background workers finish what they started (the aggregator its batch,
 * the webhook worker its requests), then close the database.
 */
export async function shutdown(
  app: FastifyInstance,
  database: DatabaseHandle,
  workers: readonly { stop(): Promise<void> }[] = [],
): Promise<void> {
  try {
    await app.close();
    await Promise.all(workers.map((worker) => worker.stop()));
  } finally {
    await database.close();
  }
}
