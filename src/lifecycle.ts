import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from './db/database.ts';

/**
 * Graceful close, in order: stop accepting connections and let in-flight requests finish
 * (Fastify's close), then close the database they were using.
 */
export async function shutdown(app: FastifyInstance, database: DatabaseHandle): Promise<void> {
  try {
    await app.close();
  } finally {
    await database.close();
  }
}
