import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { allScopes } from './actor.ts';
import { advertisedSmartScopes } from './smart-scopes.ts';
import { assertionAlgorithms } from './token-service.ts';

const authMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

const serverMetadata = z
  .object({
    issuer: z.string(),
    token_endpoint: z.string(),
    jwks_uri: z.string(),
    grant_types_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    token_endpoint_auth_signing_alg_values_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    service_documentation: z.string(),
  })
  .meta({ id: 'AuthorizationServerMetadata', description: 'RFC 8414 authorization server metadata' });

export const smartConfigurationSchema = serverMetadata
  .extend({ capabilities: z.array(z.string()) })
  .meta({ id: 'SmartConfiguration', description: 'SMART App Launch discovery, as SMART Backend Services clients read it' });

/** RFC 8414 metadata: the service's own scopes and the SMART system scopes it maps onto them (smart-scopes.ts). */
function serverMetadataOf(issuer: string) {
  return {
    issuer,
    token_endpoint: `${issuer}/v1/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    // No authorization endpoint: no response type is supported.
    response_types_supported: [],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: [...assertionAlgorithms],
    scopes_supported: [...allScopes, ...advertisedSmartScopes],
    service_documentation: `${issuer}/docs`,
  };
}

/**
 * SMART Backend Services discovery: the same facts, and what a backend client may use: a signed
 * assertion (private_key_jwt) or a client secret (client_secret_basic or _post).
 */
export function smartConfiguration(issuer: string): z.output<typeof smartConfigurationSchema> {
  return { ...serverMetadataOf(issuer), capabilities: ['client-confidential-asymmetric', 'client-confidential-symmetric'] };
}

/**
 * Discovery, so a client needs only the issuer: RFC 8414 authorization server metadata, and the
 * same facts as SMART Backend Services clients look for them. Client credentials is the only grant.
 */
export const discoveryRoutes: FastifyPluginAsyncZod<{ issuer: string }> = async (app, { issuer }) => {
  const metadata = serverMetadataOf(issuer);
  const smart = smartConfiguration(issuer);
  const cacheable = 'public, max-age=3600';

  app.get('/.well-known/oauth-authorization-server', {
    schema: {
      operationId: 'getAuthorizationServerMetadata',
      tags: ['auth'],
      summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
      security: [],
      response: { 200: serverMetadata },
    },
    handler: async (_request, reply) => reply.header('cache-control', cacheable).send(metadata),
  });

  app.get('/.well-known/smart-configuration', {
    schema: {
      operationId: 'getSmartConfiguration',
      tags: ['auth'],
      summary: 'SMART Backend Services discovery',
      security: [],
      response: { 200: smartConfigurationSchema },
    },
    handler: async (_request, reply) => reply.header('cache-control', cacheable).send(smart),
  });
};
