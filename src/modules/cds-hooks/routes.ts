import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { problemResponses, problemSchema } from '../../http/schemas.ts';
import { preferredLocale } from '../../http/locale.ts';
import { requestOrigin } from '../../plugins/auth.ts';
import type { CdsHooksService } from './service.ts';
import * as s from './schemas.ts';

const tags = ['cds-hooks'];
/** The CDS client's own JWT (not an access token of this service): see the cdsHooksJwt scheme. */
const security = [{ cdsHooksJwt: [] }];

/**
 * CDS Hooks 2.0 at `/cds-services`, beside the REST API: discovery is open; the service calls and their
 * feedback authenticate the CDS client by its signed JWT (client-auth.ts), not by an access token, so
 * these routes declare no `config.scopes` and set the actor themselves.
 */
export const cdsHooksRoutes: FastifyPluginAsyncZod<{ cdsHooks: CdsHooksService }> = async (app, { cdsHooks }) => {
  const authenticate = (endpoint: 'service' | 'feedback') => async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    request.actor = await cdsHooks.authenticate(id, endpoint, request.headers.authorization, requestOrigin(request));
  };
  // Cards name a patient's results: never kept in a shared or browser cache.
  app.addHook('onSend', async (request, reply) => {
    if (request.method === 'POST' && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.get('/cds-services', {
    schema: {
      operationId: 'cdsHooksDiscovery',
      tags,
      summary: 'CDS Hooks discovery: the services for order-select and order-sign',
      description: 'Open, as it discloses nothing about patients; the services themselves need the CDS client’s JWT.',
      response: { 200: s.discoveryResponse },
    },
    handler: async () => cdsHooks.discovery(),
  });

  app.post('/cds-services/:id', {
    config: { audit: 'recognition.check' },
    onRequest: authenticate('service'),
    schema: {
      operationId: 'callCdsService',
      tags,
      summary: 'A CDS Hooks call: recognisable prior results for the draft orders, as cards',
      description:
        'Authorization: Bearer <JWT> signed by the calling hospital client’s registered key (iss = client id, aud = this URL, jti once, ' +
        'exp within five minutes). The draft ServiceRequests (order-select: the selected ones) coded with catalogue codes, the hospital’s ' +
        'local codes or the catalogue’s LOINC codes are checked for the patient of the prefetched Patient’s identifiers (else the orders’ ' +
        'subject identifiers; neither: 412): one recognition check, stored and audited like any other (purpose treatment, the doctor from ' +
        'context.userId). Each recognisable candidate becomes a card (zh or en by Accept-Language or the dev.mutual-recognition.locale ' +
        'extension; warning for ionising imaging) with a suggestion to delete the draft order and the decline codes as override reasons. ' +
        'No draft order naming a catalogue item: no cards and no check.',
      params: s.cdsServiceParams,
      body: s.cdsRequest,
      response: { 200: s.cardsResponse, ...problemResponses, 412: problemSchema },
      security,
    },
    handler: async (request) => {
      const asked = request.body.extension?.['dev.mutual-recognition.locale'];
      const locale = preferredLocale(asked ?? request.headers['accept-language']);
      return cdsHooks.call(request.actor, request.params.id, request.body, locale);
    },
  });

  app.post('/cds-services/:id/feedback', {
    config: { audit: 'recognition.decision' },
    onRequest: authenticate('feedback'),
    schema: {
      operationId: 'cdsServiceFeedback',
      tags,
      summary: 'CDS Hooks feedback: the doctor’s decisions on the cards',
      description:
        'An accepted suggestion records a recognition of the card’s prior result (judged again now: 409 no-longer-recognizable if it ' +
        'no longer is); an override whose reason is a decline code records a decline (D6_OTHER needs userComment, kept as the reason text). ' +
        'The same decisions, log, savings and audit as POST /v1/recognition-checks/{checkId}/decisions; the cards of one check are ' +
        'decided together, all or nothing. Feedback repeated on a card is idempotent; a different decision on a decided card is 409. ' +
        'Authenticated like the call (aud = this URL or the service’s).',
      params: s.cdsServiceParams,
      body: s.feedbackRequest,
      response: { 200: s.feedbackResponse, ...problemResponses },
      security,
    },
    handler: async (request) => cdsHooks.feedback(request.actor, request.params.id, request.body),
  });
};
