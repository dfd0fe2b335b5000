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
          'Errors are RFC 9457 `application/problem+json` (the token endpoint answers RFC 6749 errors).\n\n' +
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
        { name: 'reports', description: 'Savings, declines, flows, certification health and policy what-if' },
        { name: 'operations', description: 'Health and readiness' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
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
