import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { reasonCodeTable } from './openapi-codes.ts';
import { shapeDocument, shapeRoute } from './openapi-shape.ts';

/** OpenAPI 3.1, generated from the zod route schemas; Swagger UI at /docs. */
async function openapiPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Mutual Recognition Exchange API',
        version: '1.0.0',
        description:
          'An exchange for the mutual recognition of medical examination and test results (国卫医发〔2022〕6号): ' +
          'a registry of hospitals and certifications, an index of results with pseudonymised patients, a rules engine that decides ' +
          'which prior results a receiving hospital may reuse, a recognition log and savings reports.\n\n' +
          'Errors are RFC 9457 `application/problem+json` (the token endpoint answers RFC 6749 errors; the FHIR API under `/fhir/r4`, FHIR OperationOutcomes in `application/fhir+json`).\n\n' +
          'Not described here, being no API: this document itself (`/openapi.json`), its viewer (`/docs`) and the dashboard (`/dashboard`).\n\n' +
          reasonCodeTable(),
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      // Relative to where the document is served, so the committed copy fits every deployment.
      servers: [{ url: '/' }],
      tags: [
        { name: 'auth', description: 'OAuth 2.0 client credentials and signing keys' },
        { name: 'registry', description: 'Hospitals, scopes, the exam-item catalogue and certifications' },
        { name: 'results', description: 'The result index' },
        { name: 'recognition', description: 'Recognition checks and decisions' },
        { name: 'settings', description: 'Rule settings' },
        { name: 'audit', description: 'Audit trail of patient-data reads' },
        { name: 'recalls', description: 'Results recognised and since amended, withdrawn or no longer certified' },
        { name: 'webhooks', description: 'Where a hospital receives its recalls, and the deliveries made to it' },
        { name: 'reports', description: 'Savings, declines, flows, certification health and policy what-if, recalls' },
        { name: 'fhir', description: 'FHIR R4: results in as transaction or batch Bundles, a patient’s prior results out as searchsets' },
        { name: 'operations', description: 'Health and readiness' },
        {
          name: 'cds-hooks',
          description: 'CDS Hooks 2.0: recognisable prior results as cards in the EHR’s ordering screen, and feedback on them',
        },
      ],
      // What the exchange sends (Standard Webhooks): one message per recall and webhook endpoint.
      webhooks: {
        'recall.created': {
          post: {
            operationId: 'recallCreated',
            // The exchange calls the hospital: no token, the signature authenticates the message.
            security: [],
            tags: ['recalls'],
            summary: 'A result the hospital recognised was amended, withdrawn or is no longer certified',
            description:
              'Sent to every enabled webhook endpoint of the recalled hospital, at least once, signed as the Standard Webhooks ' +
              'specification describes: `webhook-signature` holds `v1,` and the base64 HMAC-SHA256, keyed with the endpoint secret ' +
              '(the base64 after `whsec_`), of `{webhook-id}.{webhook-timestamp}.{body}`; during a rotation, one signature per valid ' +
              'secret, space-separated. Retries carry the same `webhook-id`: de-duplicate on it. Any 2xx answer acknowledges ' +
              'receipt; anything else, or no answer within the time-out, is retried with exponential back-off until the attempts ' +
              'run out (the delivery is then failed, and administrators see it). Acknowledge the recall itself with ' +
              '`POST /v1/recalls/{recallId}/acknowledge`.',
            parameters: [
              {
                name: 'webhook-id',
                in: 'header',
                required: true,
                schema: { type: 'string' },
                description: 'The delivery id, the same on every retry',
              },
              {
                name: 'webhook-timestamp',
                in: 'header',
                required: true,
                schema: { type: 'string' },
                description: 'Unix seconds of this attempt',
              },
              {
                name: 'webhook-signature',
                in: 'header',
                required: true,
                schema: { type: 'string' },
                description: 'Space-separated `v1,<base64>` signatures',
              },
            ],
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/RecallCreatedEvent' } } },
            },
            responses: { '2XX': { description: 'Received' } },
          },
        },
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          cdsHooksJwt: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'CDS Hooks 2.0: a JWT the CDS client (a hospital client registered with a JWKS) signs with its own key for each call: ' +
              'iss = its client id, aud = the URL called, a single-use jti, exp at most five minutes ahead, iat.',
          },
          oauth2: {
            type: 'oauth2',
            flows: {
              clientCredentials: {
                tokenUrl: '/v1/oauth/token',
                scopes: {
                  admin: 'Administrator (health commission): registry, settings, every report',
                  'results:write': 'Submit the hospital’s results',
                  'results:read': 'Search a patient’s prior results',
                  recognition: 'Recognition checks and decisions',
                  'reports:read': 'The hospital’s own reports',
                },
              },
            },
          },
        },
      },
    },
    transform: shapeRoute,
    transformObject: shapeDocument,
  });
  // Swagger UI's own pages get a content security policy with the hashes of its inline scripts; it
  // sets inline styles at run time, loads nothing from elsewhere (no online validator), and the
  // service may be reached over plain HTTP on a private network (no forced upgrade).
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null },
    staticCSP: true,
    transformStaticCSP: (header) =>
      header
        .replace("style-src 'self' https:", "style-src 'self' 'unsafe-inline'")
        .replace(' validator.swagger.io', '')
        .replace(/ ?upgrade-insecure-requests;?/, ''),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapiPlugin, { name: 'openapi' });
