import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyError } from 'fastify';
import { z } from 'zod';
import { ProblemError } from '../../errors.ts';
import { requestOrigin } from '../../plugins/auth.ts';
import { OAuthError, type TokenService } from './token-service.ts';
import type { JWK } from 'jose';

// RFC 6749 Appendix A's grammar: VSCHAR for ids and secrets, NQCHAR for scope tokens.
const visible = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[\x20-\x7E]*$/, 'must be printable ASCII');
const tokenRequest = z
  .object({
    grant_type: visible(200).optional().describe('Must be client_credentials'),
    scope: z
      .string()
      .max(1000)
      .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$|^$/, 'must be space-separated scope names')
      .optional()
      .describe('Space-separated scopes; omitted: every scope of the client'),
    client_id: visible(200).optional(),
    client_secret: visible(500).optional().describe('client_secret_post'),
    client_assertion_type: visible(200).optional().describe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
    client_assertion: z
      .string()
      .max(16_384)
      .regex(/^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/, 'must be a compact JWS')
      .optional()
      .describe('private_key_jwt: a JWT signed with a key of the client JWKS'),
  })
  .meta({ id: 'TokenRequest' });

const tokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    scope: z.string(),
  })
  .meta({ id: 'TokenResponse' });

const oauthError = z
  .object({ error: z.string(), error_description: z.string() })
  .meta({ id: 'OAuthError', description: 'RFC 6749 §5.2 error' });

const jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).meta({ id: 'JWKS' });

export interface AuthRoutesOptions {
  tokens: TokenService;
  publicKeys: () => Promise<JWK[]>;
}

function basicCredentials(header: string | undefined) {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials');
  // RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      throw new OAuthError('invalid_client', 'Malformed Basic credentials');
    }
  };
  return { clientId: decode(decoded.slice(0, colon)), clientSecret: decode(decoded.slice(colon + 1)) };
}

export const authRoutes: FastifyPluginAsyncZod<AuthRoutesOptions> = async (app, { tokens, publicKeys }) => {
  await app.register(formbody);

  app.post('/v1/oauth/token', {
    config: { tokenEndpoint: true },
    schema: {
      operationId: 'issueToken',
      tags: ['auth'],
      summary: 'Obtain an access token (OAuth 2.0 client credentials)',
      description:
        'RFC 6749 §4.4. Authenticate with client_secret_basic, client_secret_post or private_key_jwt (RFC 7523, as in SMART Backend Services: ' +
        'iss = sub = client_id, aud = the issuer or this endpoint’s URL, exp at most 5 minutes ahead, a jti never reused). Errors follow RFC 6749 §5.2, not problem+json.',
      consumes: ['application/x-www-form-urlencoded'],
      body: tokenRequest,
      response: { 200: tokenResponse, 400: oauthError, 401: oauthError, 429: oauthError, 500: oauthError, 503: oauthError },
    },
    attachValidation: true,
    errorHandler: (error: FastifyError, request, reply) => {
      if (error instanceof ProblemError && (error.status === 503 || error.status === 429)) {
        // An outage, overload or rate limit: RFC 6749 §4.1.2.1's temporarily_unavailable, with its Retry-After.
        if (error.status === 503) request.log.warn({ err: error.cause ?? error }, error.message);
        return reply
          .status(error.status)
          .headers(error.headers)
          .header('cache-control', 'no-store')
          .send({ error: 'temporarily_unavailable', error_description: error.message });
      }
      const oauth =
        error instanceof OAuthError
          ? error
          : error.statusCode && error.statusCode < 500
            ? new OAuthError('invalid_request', error.message)
            : null;
      if (!oauth) {
        request.log.error({ err: error }, 'token request failed');
        return reply.status(500).send({ error: 'server_error', error_description: 'The server failed to answer' });
      }
      // RFC 6749 §5.2: a client that authenticated with the Authorization header gets its scheme's challenge.
      if (oauth.status === 401 && /^Basic\s/i.test(request.headers.authorization ?? ''))
        reply.header('www-authenticate', 'Basic realm="mutual-recognition"');
      if (oauth.retryAfterSeconds !== undefined) reply.header('retry-after', String(oauth.retryAfterSeconds));
      return reply
        .status(oauth.status as 400 | 401 | 429)
        .header('cache-control', 'no-store')
        .send({ error: oauth.error, error_description: oauth.message });
    },
    handler: async (request, reply) => {
      if (
        !String(request.headers['content-type'] ?? '')
          .toLowerCase()
          .startsWith('application/x-www-form-urlencoded')
      ) {
        throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
      }
      if (request.validationError) {
        const fields = [
          ...new Set(
            (request.validationError.validation ?? []).map(
              (v: { instancePath: string }) => v.instancePath.replace(/^\//, '').split('/')[0],
            ),
          ),
        ].join(', ');
        throw new OAuthError(
          'invalid_request',
          `Each parameter must appear once, as text of its RFC 6749 grammar${fields ? ` (${fields})` : ''}`,
        );
      }
      const body = request.body;
      const issued = await tokens.issue({
        grantType: body.grant_type,
        scope: body.scope,
        basic: basicCredentials(request.headers.authorization),
        clientId: body.client_id,
        clientSecret: body.client_secret,
        clientAssertionType: body.client_assertion_type,
        clientAssertion: body.client_assertion,
        origin: requestOrigin(request),
      });
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(issued);
    },
  });

  app.get('/.well-known/jwks.json', {
    schema: {
      operationId: 'getJwks',
      tags: ['auth'],
      summary: 'The public keys that verify access tokens',
      description: 'Includes recently rotated-out keys until the tokens they signed have expired.',
      response: { 200: jwks },
    },
    handler: async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send({ keys: await publicKeys() }),
  });
};
