import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ServiceUnavailable } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    answerBy?: NodeJS.Timeout;
  }
}

/**
 * Every request is answered within `timeoutMs` of its arrival: past it, a 503 problem (the work
 * may still finish; its late answer is dropped). Fastify's own `handlerTimeout` does the same but
 * also aborts `request.signal` as soon as a request's body has arrived (fastify/fastify#6725),
 * which builds a DOMException for every POST (3% of a worker's CPU under the checks' load). Nothing
 * here reads `request.signal`, so a timer is all the bound needs.
 */
async function handlerTimeout(app: FastifyInstance, { timeoutMs }: { timeoutMs: number }) {
  const stop = (request: FastifyRequest) => clearTimeout(request.answerBy);
  app.decorateRequest('answerBy', undefined);
  app.addHook('onRequest', (request, reply, done) => {
    request.answerBy = setTimeout(() => {
      if (reply.sent) return;
      if (reply.raw.headersSent) reply.raw.destroy();
      else reply.send(new ServiceUnavailable('The request took too long to answer; retry shortly', 'timeout'));
    }, timeoutMs);
    done();
  });
  app.addHook('onResponse', (request, _reply, done) => {
    stop(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    stop(request);
    done();
  });
}

export default fp(handlerTimeout, { name: 'handler-timeout' });
