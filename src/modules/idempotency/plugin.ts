import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../../db/database.ts';
import { BadRequest, ProblemError } from '../../errors.ts';
import { deleteAnswersBefore, findAnswer } from './repository.ts';

/** An Idempotency-Key request whose first answer is still to be recorded, by the service, in its own transaction. */
export interface IdempotentRequest {
  clientId: string;
  key: string;
  requestHash: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours Idempotency-Key: a retry with the same key replays the first answer. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency?: IdempotentRequest;
  }
}

export interface IdempotencyOptions {
  db: Database;
  clock: () => Date;
  ttlHours: number;
}

// The draft makes the key a structured-field string ("..."); a bare token is accepted as well.
const quotedKey = /^"([\x20\x21\x23-\x5B\x5D-\x7E]{1,255})"$/;
const bareKey = /^[A-Za-z0-9._~:+/=-]{1,255}$/;
const purgeEveryMs = 10 * 60_000;

function parseKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? null : header.trim();
  const key = value === null ? null : (quotedKey.exec(value)?.[1] ?? (bareKey.test(value) ? value : null));
  if (key === null) {
    const error = {
      field: 'headers.idempotency-key',
      message: 'must be one string of 1-255 printable characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"',
    };
    throw new BadRequest('Invalid Idempotency-Key header', [error]);
  }
  return key;
}

/**
 * Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field") on the routes marked
 * `config.idempotent`: the first answer to a client's key is stored by the service in the
 * transaction that did the work; a retry with the same key and request gets that answer again
 * (Idempotent-Replayed: true) and records nothing; the same key with another request is 422; a key
 * whose first request is still running is 409 (idempotency_keys_pkey, mapped in plugins/problem.ts).
 * Answers are kept for IDEMPOTENCY_KEY_TTL_HOURS.
 */
async function idempotency(app: FastifyInstance, { db, clock, ttlHours }: IdempotencyOptions) {
  const ttlMs = ttlHours * 3_600_000;
  app.decorateRequest('idempotency', undefined);

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config.idempotent || !request.actor) return;
    const key = parseKey(request.headers['idempotency-key']);
    if (key === undefined) return;
    const clientId = request.actor.clientId;
    const requestHash = createHash('sha256')
      .update(JSON.stringify([request.method, request.routeOptions.url, request.params, request.body]))
      .digest('base64url');
    const notBefore = new Date(clock().getTime() - ttlMs);
    const stored = await findAnswer(db, clientId, key);
    if (stored && stored.createdAt >= notBefore) {
      if (stored.requestHash !== requestHash) {
        throw new ProblemError(
          422,
          'idempotency-key-reused',
          'Idempotency key reused',
          'This Idempotency-Key was used for a different request; use a new key',
        );
      }
      return reply.status(stored.statusCode).header('idempotent-replayed', 'true').send(stored.response);
    }
    if (stored) await deleteAnswersBefore(db, notBefore, { clientId, key });
    request.idempotency = { clientId, key, requestHash };
  });

  const purge = setInterval(() => {
    deleteAnswersBefore(db, new Date(clock().getTime() - ttlMs)).catch((error: unknown) =>
      app.log.warn({ err: error }, 'purging expired idempotency keys failed'),
    );
  }, purgeEveryMs);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));
}

export default fp(idempotency, { name: 'idempotency' });
