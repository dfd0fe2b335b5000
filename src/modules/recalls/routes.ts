import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { problemResponses } from '../../http/schemas.ts';
import { acknowledgement, recall, recallListQuery, recallPage, recallParams } from './schemas.ts';
import type { RecallService } from './service.ts';

/** Hospital clients that act on recognitions read and acknowledge their recalls; administrators read all. */
const readers = { scopes: ['recognition', 'admin'] } as const;

export const recallRoutes: FastifyPluginAsyncZod<{ recalls: RecallService }> = async (app, { recalls }) => {
  app.get('/v1/recalls', {
    config: readers,
    schema: {
      operationId: 'listRecalls',
      tags: ['recalls'],
      summary: "The calling hospital's recalls, newest first",
      description:
        'A recall tells a hospital that a result it recognised was since amended, withdrawn, or fell under a retroactive ' +
        "suspension or revocation of its issuer's certification. Administrators see every hospital's. Page with nextCursor.",
      querystring: recallListQuery,
      response: { 200: recallPage, ...problemResponses },
    },
    handler: async (request) => recalls.list(request.actor, request.query),
  });

  app.get('/v1/recalls/:recallId', {
    config: readers,
    schema: {
      operationId: 'getRecall',
      tags: ['recalls'],
      summary: 'One recall',
      params: recallParams,
      response: { 200: recall, ...problemResponses },
    },
    handler: async (request) => recalls.get(request.actor, request.params.recallId),
  });

  app.post('/v1/recalls/:recallId/acknowledge', {
    config: { scopes: ['recognition'] },
    schema: {
      operationId: 'acknowledgeRecall',
      tags: ['recalls'],
      summary: 'The recalled hospital takes note of a recall',
      description: 'Repeating the same acknowledgement answers it again; a different one is 409 (the first stands).',
      params: recallParams,
      body: acknowledgement,
      response: { 200: recall, ...problemResponses },
    },
    handler: async (request) => recalls.acknowledge(request.actor, request.params.recallId, request.body),
  });
};
