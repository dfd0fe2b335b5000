import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { identifier, line, problemResponses, timestamp } from '../../http/schemas.ts';
import type { ClientService } from './client-service.ts';
import { hospitalScopes } from './actor.ts';

const client = z
  .object({
    clientId: z.string(),
    hospitalId: z.string().nullable(),
    scopes: z.array(z.string()),
    authMethod: z.enum(['client_secret', 'private_key_jwt']),
    cdsIssuer: z.string().nullable().describe('The iss of the CDS Hooks JWTs this client signs, when it is not the client id'),
    description: z.string().nullable(),
    createdAt: timestamp,
    disabledAt: timestamp.nullable(),
  })
  .meta({ id: 'Client' });

const registeredClient = client
  .extend({ clientSecret: z.string().optional().describe('Returned once, at registration, for secret-based clients; store it now') })
  .meta({ id: 'RegisteredClient' });

/** A public JWK (RFC 7517): flat members, base64url or short text values, an x5c chain of certificates. */
const jwkValue = z
  .string()
  .max(8_192)
  .regex(/^[\x20-\x7E]*$/, 'must be printable ASCII');
const jwk = z
  .record(
    z.string().regex(/^[A-Za-z0-9_]{1,32}$/, 'must be a JWK member name'),
    z.union([jwkValue, z.array(jwkValue).max(10), z.boolean(), z.number()]),
  )
  .refine((key) => Object.keys(key).length <= 30, 'at most 30 members')
  .meta({ maxProperties: 30 });

/** An absolute http(s) URI, as an EHR names itself in `iss` (its FHIR server's base URL, most often). */
const cdsIssuer = z
  .string()
  .max(255)
  .regex(/^https?:\/\/[\x21-\x7E]+$/, 'must be an absolute http or https URI')
  .describe(
    "With jwks: the `iss` this EHR puts in its CDS Hooks JWTs (CDS Hooks 2.0 names the issuer by a URI, often the EHR's FHIR base URL). Omitted: `iss` must be the client id",
  );

const clientInput = z
  .object({
    clientId: identifier.optional().describe('Omitted: generated'),
    jwks: z
      .object({ keys: z.array(jwk).min(1).max(10) })
      .strict()
      .optional()
      .describe('Public keys for private_key_jwt; omitted: a client secret is generated'),
    cdsIssuer: cdsIssuer.optional(),
    scopes: z.array(z.enum(hospitalScopes)).min(1).optional().describe('Omitted: every hospital scope'),
    description: line(200).optional(),
  })
  .strict()
  .meta({ id: 'ClientRegistration' });

const admin = { scopes: ['admin'] } as const;
const tags = ['auth'];

export const clientRoutes: FastifyPluginAsyncZod<{ clients: ClientService }> = async (app, { clients }) => {
  app.post('/v1/hospitals/:hospitalId/clients', {
    config: admin,
    schema: {
      operationId: 'registerClient',
      tags,
      summary: 'Register an API client for a hospital',
      description: 'A hospital client always acts as its hospital. Without `jwks`, a client secret is generated and returned once.',
      params: z.object({ hospitalId: identifier }),
      body: clientInput,
      response: { 201: registeredClient, ...problemResponses },
    },
    handler: async (request, reply) => reply.status(201).send(await clients.register(request.params.hospitalId, request.body)),
  });

  app.get('/v1/hospitals/:hospitalId/clients', {
    config: admin,
    schema: {
      operationId: 'listClients',
      tags,
      summary: "A hospital's API clients",
      params: z.object({ hospitalId: identifier }),
      response: { 200: z.object({ clients: z.array(client) }), ...problemResponses },
    },
    handler: async (request) => clients.list(request.params.hospitalId),
  });

  app.post('/v1/clients/:clientId/disable', {
    config: admin,
    schema: {
      operationId: 'disableClient',
      tags,
      summary: 'Disable a client: it gets no new tokens and its current tokens stop working',
      params: z.object({ clientId: identifier }),
      response: { 200: client, ...problemResponses },
    },
    handler: async (request) => clients.disable(request.params.clientId),
  });
};
