import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from './db/database.ts';

/**
 * Graceful close, in order: stop accepting connections and let in-flight requests finish
 * (Fastify's close), let the background aggregator finish its batch, then close the database.
 */
export async function shutdown(app: FastifyInstance, database: DatabaseHandle, aggregator?: { stop(): Promise<void> }): Promise<void> {
  try {
    await app.close();
    await aggregator?.stop();
  } finally {
    await database.close();
  }
}
