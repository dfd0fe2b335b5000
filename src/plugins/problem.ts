import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from '@fastify/type-provider-zod';
import FindMyWay from 'find-my-way';
import { faultKind, unavailable } from '../db/faults.ts';
import { ProblemError, problemTypeBase } from '../errors.ts';
import { fieldErrors, invalidFields } from '../http/validation.ts';

export const problemContentType = 'application/problem+json; charset=utf-8';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  [extension: string]: unknown;
}

/** Writes a problem in the answer's format: problem+json by default; the FHIR API writes an OperationOutcome. */
export type ProblemWriter = (request: FastifyRequest, reply: FastifyReply, problem: Problem) => FastifyReply;

const writeProblemJson: ProblemWriter = (_request, reply, problem) =>
  reply.status(problem.status).type(problemContentType).serializer(JSON.stringify).send(problem);

type ProblemSender = (
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  slug: string,
  title: string,
  detail: string,
  extensions?: Record<string, unknown>,
) => FastifyReply;

function problemSender(write: ProblemWriter): ProblemSender {
  return (request, reply, status, slug, title, detail, extensions = {}) => {
    request.problemType = slug;
    const instance = request.url.split('?')[0];
    return write(request, reply, { type: problemTypeBase + slug, title, status, detail, instance, requestId: request.id, ...extensions });
  };
}

export const sendProblem = problemSender(writeProblemJson);

/** A domain error as a problem; a 503's cause is logged (never sent), so an outage can be traced. */
function errorSender(send: ProblemSender) {
  return (request: FastifyRequest, reply: FastifyReply, error: ProblemError) => {
    if (error.status >= 500) request.log.warn({ err: error.cause ?? error }, error.message);
    request.problemSubject = error.subject;
    reply.headers(error.headers);
    return send(request, reply, error.status, error.slug, error.title, error.message, error.extensions);
  };
}

export const sendError = errorSender(sendProblem);

/** How much of an oversized upload is read (and dropped) before its 413, so the client can read the answer. */
const maxDrainBytes = 64 * 1024 * 1024;

/** Reads and drops what is left of a request body, up to `maxBytes` (then stops and lets the connection close). */
function drainRequest(raw: IncomingMessage, maxBytes: number): Promise<void> {
  if (raw.complete !== false || raw.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let drained = 0;
    const finish = () => {
      raw.off('data', onData).off('end', finish).off('error', finish).off('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > maxBytes) {
        raw.pause();
        finish();
      }
    };
    raw.on('data', onData).on('end', finish).on('error', finish).on('close', finish);
    raw.resume();
  });
}

/** Fastify's own error codes, mapped to a stable problem type. */
const frameworkErrors: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported-media-type', 'Unsupported media type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'malformed-body', 'Malformed body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed-body', 'Malformed body'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed-body', 'Malformed body'],
  FST_ERR_VALIDATION: [400, 'validation', 'Invalid request'],
};

/** PostgreSQL data exceptions caused by the caller's values: numeric or date out of range, invalid text. */
const storageRefusals = new Set(['22003', '22007', '22008', '22021', '22P05', '22001']);

export function registerProblemHandlers(app: FastifyInstance) {
  app.decorateRequest('problemType', undefined);
  app.decorateRequest('problemSubject', undefined);
  app.setErrorHandler(problemErrorHandler());
}

/**
 * The one error handler: every error becomes a problem with a stable type, written by `write`
 * (problem+json unless a scope of the API answers in another format).
 */
export function problemErrorHandler(write: ProblemWriter = writeProblemJson) {
  const sendProblem = problemSender(write);
  const sendError = errorSender(sendProblem);
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // An outage that reached here without passing the pool's guard (e.g. from a driver's internals).
    const fault = error instanceof ProblemError ? null : faultKind(error);
    if (fault) return sendError(request, reply, unavailable(fault, error));
    if (error instanceof ProblemError) return sendError(request, reply, error);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = error.validationContext ?? 'body';
      const issues = error.validation.map((v) => ({
        path: v.instancePath.split('/').filter(Boolean),
        code: v.keyword,
        message: v.message ?? 'is invalid',
        keys: (v.params as { keys?: string[] }).keys,
      }));
      return sendError(request, reply, invalidFields(fieldErrors(issues, context === 'body' ? [] : [context], context)));
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return sendProblem(request, reply, 500, 'internal', 'Internal server error', 'The server failed to answer');
    }
    if (error.code && storageRefusals.has(error.code)) {
      // Input the database cannot store (a value out of range, an invalid character) that validation let through.
      return sendProblem(
        request,
        reply,
        400,
        'validation',
        'Invalid request',
        'A value in the request cannot be stored (out of range or an invalid character)',
      );
    }
    if (error.code === '23505' && violatedKey(error) === 'idempotency_keys_pkey') {
      return sendProblem(
        request,
        reply,
        409,
        'idempotency-key-in-use',
        'Conflict',
        'A request with this Idempotency-Key is still being answered; retry shortly to get its answer',
      );
    }
    if (error.code === '23505') {
      // A unique constraint caught a race the service did not: the same thing was written twice.
      return sendProblem(request, reply, 409, 'conflict', 'Conflict', 'A concurrent request already recorded this');
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // Read the rest of the upload first: closing on a client still sending makes it see a broken
      // pipe instead of this answer.
      return drainRequest(request.raw, maxDrainBytes).then(() =>
        sendProblem(request, reply, 413, 'payload-too-large', 'Payload too large', 'The request body is larger than this endpoint accepts'),
      );
    }
    const known = error.code ? frameworkErrors[error.code] : undefined;
    if (known) return sendProblem(request, reply, known[0], known[1], known[2], error.message);
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      // Never leak internals: log the error with the request id, answer a generic problem.
      request.log.error({ err: error }, 'request failed');
      return sendProblem(
        request,
        reply,
        500,
        'internal',
        'Internal server error',
        'The server failed to answer; quote the request id when reporting it',
      );
    }
    return sendProblem(request, reply, status, 'client-error', 'Bad request', error.message);
  };
}

/**
 * 404 for unknown paths, 405 (with Allow) for a known path with another method. A shadow router
 * mirrors every registered route so the not-found handler can tell the two apart.
 */
export function registerNotFound(app: FastifyInstance) {
  const shadow = FindMyWay({ ignoreTrailingSlash: false });
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || shadow.hasRoute(method as 'GET', route.url)) continue;
      shadow.on(method as 'GET', route.url, () => undefined);
      methods.add(method);
    }
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = [...methods].filter((m) => m !== request.method && shadow.find(m as 'GET', path));
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        request,
        reply,
        405,
        'method-not-allowed',
        'Method not allowed',
        `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`,
      );
    }
    return sendProblem(request, reply, 404, 'not-found', 'Not found', `No route for ${request.method} ${path}`);
  });
}

const clientErrors: Record<string, [number, string, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request-timeout', 'Request timeout', 'The request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'headers-too-large', 'Request header fields too large', 'The request headers are too large'],
};

/**
 * Errors Node meets before there is a request to answer (headers or body too slow, unparsable HTTP):
 * written straight to the socket, as problem+json too, then the connection is closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, slug, title, detail] = clientErrors[error.code ?? ''] ?? [
    400,
    'malformed-request',
    'Bad request',
    'The request is not valid HTTP',
  ];
  const body = JSON.stringify({ type: problemTypeBase + slug, title, status, detail, instance: '', requestId: randomUUID() });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${problemContentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Answers the router refuses before Fastify has a request (a path segment past `maxParamLength`, a
 * path that is not valid percent-encoded UTF-8): problem+json too, never echoing the path.
 */
export const routerRefusals = {
  onBadUrl: (_path: string, _req: IncomingMessage, res: ServerResponse) =>
    writeRawProblem(res, 400, 'malformed-request', 'Bad request', 'The URL path is not valid percent-encoded UTF-8'),
  onMaxParamLength: (_path: string, _req: IncomingMessage, res: ServerResponse) =>
    writeRawProblem(res, 414, 'uri-too-long', 'URI too long', 'A path segment is longer than 200 characters'),
};

function writeRawProblem(res: ServerResponse, status: number, slug: string, title: string, detail: string) {
  const requestId = randomUUID();
  const body = JSON.stringify({ type: problemTypeBase + slug, title, status, detail, instance: '', requestId });
  res
    .writeHead(status, { 'content-type': problemContentType, 'content-length': Buffer.byteLength(body), 'x-request-id': requestId })
    .end(body);
}

/**
 * The unique key a 23505 error violated, without a Citus shard's number. PostgreSQL names it in the
 * error's constraint field; an error Citus relays from a worker has only the message, which names the
 * shard's key (`unique constraint "idempotency_keys_pkey_102040"`).
 */
export function violatedKey(error: { constraint?: string; message: string }): string | undefined {
  const name = error.constraint ?? /unique constraint "([^"]+)"/.exec(error.message)?.[1];
  return name?.replace(/_\d+$/, '');
}
