import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { problemResponses, problemSchema } from '../../http/schemas.ts';
import {
  accessionParams,
  batchRequest,
  batchResponse,
  maxBatchSize,
  historyQuery,
  maxSearchPage,
  resultHistory,
  resultSubmission,
  searchRequest,
  searchResponse,
  storedResult,
  submissionResponse,
} from './schemas.ts';
import type { ResultService } from './service.ts';

const batchBodyLimit = 16 * 1024 * 1024;

/** The result index: submission (single and batch), read-back and the audited patient search. */
export const resultRoutes: FastifyPluginAsyncZod<{ results: ResultService }> = async (app, { results }) => {
  app.put('/v1/results/:accessionNo', {
    config: { scopes: ['results:write'] },
    schema: {
      operationId: 'putResult',
      tags: ['results'],
      summary: 'Submit or amend one result of the calling hospital',
      description:
        'The issuer is always the hospital of the token. 201 when created; 200 with outcome "unchanged" when the same content ' +
        'was already stored (nothing is written); 200 with outcome "updated" for an amendment: the version increments and every ' +
        'version stays in the history. Idempotency is decided by a hash of the normalised content (the patient key, never the ID number).',
      params: accessionParams,
      body: resultSubmission,
      response: { 200: submissionResponse, 201: submissionResponse, ...problemResponses },
    },
    handler: async (request, reply) => {
      const stored = await results.submit(request.actor, request.params.accessionNo, request.body);
      reply.header('location', `/v1/results/${encodeURIComponent(stored.accessionNo)}`);
      return reply.status(stored.outcome === 'created' ? 201 : 200).send(stored);
    },
  });

  app.get('/v1/results/:accessionNo', {
    config: { scopes: ['results:write'], audit: 'results.read' },
    schema: {
      operationId: 'getResult',
      tags: ['results'],
      summary: 'Read back a result the calling hospital submitted',
      description: 'Only the issuing hospital reads its results by accession number; other hospitals search by patient.',
      params: accessionParams,
      response: { 200: storedResult, ...problemResponses },
    },
    handler: async (request) => results.get(request.actor, request.params.accessionNo),
  });

  app.get('/v1/results/:accessionNo/history', {
    config: { scopes: ['results:write', 'results:read', 'recognition', 'admin'], audit: 'results.history' },
    schema: {
      operationId: 'getResultHistory',
      tags: ['results'],
      summary: 'Every version of a result: when, by which client, its status and what changed (audited)',
      description:
        'The issuing hospital reads its own results; administrators, and hospitals that recognised the result, name its ' +
        'issuer with `issuer`. Anyone else gets 404, whether or not the result exists.',
      params: accessionParams,
      querystring: historyQuery,
      response: { 200: resultHistory, ...problemResponses },
    },
    handler: async (request) => results.history(request.actor, request.params.accessionNo, request.query.issuer),
  });

  app.post('/v1/results/batch', {
    config: { scopes: ['results:write'], idempotent: true },
    bodyLimit: batchBodyLimit,
    schema: {
      operationId: 'submitResultBatch',
      tags: ['results'],
      summary: `Submit up to ${maxBatchSize} results of the calling hospital at once`,
      description:
        'Each item is a BatchResultItem, validated on its own: an invalid item is answered as "rejected" with a problem ' +
        '(field paths relative to the item) and never rejects the others. An accession number may appear once per batch; ' +
        'later occurrences are rejected. Accepted items are written together, in one transaction. Bodies up to 16 MiB.',
      body: batchRequest,
      response: { 200: batchResponse, ...problemResponses, 413: problemSchema },
    },
    handler: async (request) => results.submitBatch(request.actor, request.body.results, request.idempotency),
  });

  app.post('/v1/results/search', {
    config: { scopes: ['results:read'], audit: 'results.search' },
    schema: {
      operationId: 'searchResults',
      tags: ['results'],
      summary: "A patient's prior results, newest first (audited)",
      description:
        'The patient travels in the body, never in a URL. The purpose must be "treatment" (403 otherwise, before anything is read). ' +
        `Every search is recorded in the audit trail with the practitioner and the result ids returned. A page holds at most \`limit\` (up to ${maxSearchPage}) ` +
        'results and stops early once their findings, values and equipment pass 2 MiB; page with the opaque nextCursor.',
      body: searchRequest,
      response: { 200: searchResponse, ...problemResponses },
    },
    handler: async (request) => results.search(request.actor, request.body),
  });
};
