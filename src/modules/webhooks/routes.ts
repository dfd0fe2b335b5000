import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { problemResponses } from '../../http/schemas.ts';
import {
  delivery,
  deliveryListQuery,
  deliveryPage,
  deliveryParams,
  endpoint,
  endpointChange,
  endpointList,
  endpointListQuery,
  endpointParams,
  endpointRegistration,
  endpointWithSecret,
} from './schemas.ts';
import type { WebhookService } from './service.ts';

/**
 * Webhooks carry recalls, so the clients that read a hospital's recalls (scope recognition) manage
 * where they are sent; administrators manage every hospital's and watch the failed deliveries.
 */
const managers = { scopes: ['admin', 'recognition'] } as const;
const tags = ['webhooks'];

export const webhookRoutes: FastifyPluginAsyncZod<{ webhooks: WebhookService }> = async (app, { webhooks }) => {
  app.post('/v1/webhook-endpoints', {
    config: managers,
    schema: {
      operationId: 'registerWebhookEndpoint',
      tags,
      summary: 'Register a webhook endpoint; its signing secret is shown once',
      description:
        'Events of the hospital (recall.created) are POSTed to the URL as Standard Webhooks: a JSON envelope {type, timestamp, data} with ' +
        'webhook-id, webhook-timestamp and webhook-signature headers, retried with back-off until a 2xx. At most 10 enabled endpoints per hospital.',
      body: endpointRegistration,
      response: { 201: endpointWithSecret, ...problemResponses },
    },
    handler: async (request, reply) => reply.status(201).send(await webhooks.register(request.actor, request.body)),
  });

  app.get('/v1/webhook-endpoints', {
    config: managers,
    schema: {
      operationId: 'listWebhookEndpoints',
      tags,
      summary: "The calling hospital's webhook endpoints (administrators: every hospital's)",
      querystring: endpointListQuery,
      response: { 200: endpointList, ...problemResponses },
    },
    handler: async (request) => webhooks.list(request.actor, request.query),
  });

  app.get('/v1/webhook-endpoints/:endpointId', {
    config: managers,
    schema: {
      operationId: 'getWebhookEndpoint',
      tags,
      summary: 'One webhook endpoint (never its secret)',
      params: endpointParams,
      response: { 200: endpoint, ...problemResponses },
    },
    handler: async (request) => webhooks.get(request.actor, request.params.endpointId),
  });

  app.patch('/v1/webhook-endpoints/:endpointId', {
    config: managers,
    schema: {
      operationId: 'changeWebhookEndpoint',
      tags,
      summary: 'Change, disable or enable a webhook endpoint',
      description:
        'A disabled endpoint is sent nothing; its deliveries wait and resume when it is enabled again. Endpoints are never deleted.',
      params: endpointParams,
      body: endpointChange,
      response: { 200: endpoint, ...problemResponses },
    },
    handler: async (request) => webhooks.change(request.actor, request.params.endpointId, request.body),
  });

  app.post('/v1/webhook-endpoints/:endpointId/rotate-secret', {
    config: managers,
    schema: {
      operationId: 'rotateWebhookSecret',
      tags,
      summary: 'A new signing secret, shown once; the previous one stays in force for 24 hours',
      description: 'Meanwhile every delivery carries two signatures (space-separated in webhook-signature), one with each secret.',
      params: endpointParams,
      response: { 200: endpointWithSecret, ...problemResponses },
    },
    handler: async (request) => webhooks.rotateSecret(request.actor, request.params.endpointId),
  });

  app.get('/v1/webhook-deliveries', {
    config: managers,
    schema: {
      operationId: 'listWebhookDeliveries',
      tags,
      summary: "Webhook deliveries, newest first: the calling hospital's (administrators: every hospital's)",
      description: 'Filter by status (failed: no attempts left) and endpoint. Page with the opaque nextCursor.',
      querystring: deliveryListQuery,
      response: { 200: deliveryPage, ...problemResponses },
    },
    handler: async (request) => webhooks.deliveries(request.actor, request.query),
  });

  app.post('/v1/webhook-deliveries/:deliveryId/retry', {
    config: managers,
    schema: {
      operationId: 'retryWebhookDelivery',
      tags,
      summary: 'Send a failed delivery again, its attempts counted afresh',
      description: 'A pending delivery is answered as it is; a delivered one is 409.',
      params: deliveryParams,
      response: { 200: delivery, ...problemResponses },
    },
    handler: async (request) => webhooks.retry(request.actor, request.params.deliveryId),
  });
};
