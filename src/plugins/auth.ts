import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { Database } from '../db/database.ts';
import { Forbidden, ProblemError } from '../errors.ts';
import {
  type ClientLookup,
  createKeyResolver,
  effectiveScopes,
  type KeyResolver,
  trustedPublicKeys,
  type Actor,
} from '../modules/auth/index.ts';
import type { AuditAction, RequestOrigin } from '../modules/audit/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on every route that declares `config.scopes`; absent on public routes. */
    actor: Actor;
  }
  interface FastifyContextConfig {
    /** The caller needs at least one of these scopes ('any' = any authenticated client). */
    scopes?: readonly string[];
    /** A route that discloses patient data: its refused and failed attempts are audited as this action. */
    audit?: AuditAction;
  }
}

class InvalidToken extends ProblemError {
  constructor(detail: string) {
    super(401, 'unauthorized', 'Unauthorized', detail);
  }
}

export interface AuthOptions {
  db: Database;
  clock: () => Date;
  issuer: string;
  audience: string;
  tokenTtlSeconds: number;
  clients: ClientLookup;
}

/**
 * Authentication and authorisation in one place. A route declares the scopes it needs in
 * `config.scopes`; this plugin documents the security requirement in OpenAPI, verifies the bearer
 * token (signature, issuer, audience, expiry), refuses disabled clients, and sets `request.actor`.
 * Hospital-level checks ("only your own hospital") use `assertHospital`.
 */
async function authPlugin(app: FastifyInstance, options: AuthOptions) {
  const keys = createKeyResolver({
    clock: options.clock,
    loadKeys: (now) => trustedPublicKeys(options.db, now, options.tokenTtlSeconds),
    unknownKey: () => new InvalidToken('The access token was signed by an unknown key'),
  });
  const verify = createTokenVerifier(options, keys);
  app.addHook('onReady', () => options.clients.start());
  app.addHook('onClose', () => options.clients.stop());

  const authenticate: onRequestHookHandler = async (request, reply) => {
    try {
      request.actor = await actorFrom(request, options.clients, verify);
    } catch (error) {
      if (error instanceof InvalidToken) {
        const description = error.message.replace(/"/g, "'");
        reply.header('www-authenticate', `Bearer realm="mutual-recognition", error="invalid_token", error_description="${description}"`);
      }
      throw error;
    }
    const needed = request.routeOptions.config.scopes ?? [];
    if (!needed.includes('any') && !needed.some((s) => request.actor.scopes.has(s))) {
      throw new Forbidden(`This operation needs scope ${needed.join(' or ')}`);
    }
  };

  app.decorateRequest('actor', null as unknown as Actor);
  // Authenticated answers (patient data above all) must never sit in a shared or browser cache.
  app.addHook('onSend', async (request, reply) => {
    if (request.routeOptions.config.scopes && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  app.addHook('onRoute', (route) => {
    const scopes = route.config?.scopes;
    if (!scopes) return;
    route.onRequest = [authenticate, ...[route.onRequest ?? []].flat()];
    if (route.schema) {
      route.schema.security = [{ bearerAuth: [] }, { oauth2: scopes.filter((s) => s !== 'any') }];
    }
  });
}

async function actorFrom(request: FastifyRequest, clients: ClientLookup, verify: TokenVerifier): Promise<Actor> {
  const header = request.headers.authorization;
  if (!header) throw new InvalidToken('A bearer access token is required');
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
  if (!match) throw new InvalidToken('The Authorization header must be "Bearer <token>"');
  const claims = await verify(match[1]);
  const client = await clients.find(claims.sub);
  if (!client || client.disabled_at) throw new InvalidToken('The client of this token is unknown or disabled');
  const scopes = effectiveScopes(claims.scope.split(' '), client.scopes, { fhir: request.routeOptions.config.fhir === true });
  return {
    clientId: client.client_id,
    hospitalId: client.hospital_id,
    scopes,
    isAdmin: scopes.has('admin'),
    origin: requestOrigin(request),
  };
}

type TokenVerifier = ReturnType<typeof createTokenVerifier>;

/**
 * Verifies an access token's signature, issuer, audience and expiry. A token's signature is
 * checked once: the token, its claims and its key id are remembered until it expires, and a
 * remembered token is accepted only while it has not expired and its key is still trusted.
 */
function createTokenVerifier(options: AuthOptions, keys: KeyResolver) {
  const verified = new Map<string, { sub: string; scope: string; exp: number; kid: string }>();
  const maxEntries = 50_000;
  return async (token: string): Promise<{ sub: string; scope: string }> => {
    const now = options.clock();
    const known = verified.get(token);
    if (known) {
      if (known.exp <= Math.floor(now.getTime() / 1000)) {
        verified.delete(token);
        throw new InvalidToken('The access token has expired');
      }
      await keys.resolve({ kid: known.kid, alg: 'ES256' });
      return known;
    }
    let payload, protectedHeader;
    try {
      ({ payload, protectedHeader } = await jwtVerify(token, keys.resolve, {
        // RFC 9068: an access token says so in its header, so an ID token or other JWT is never taken for one.
        typ: 'at+jwt',
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ['ES256'],
        currentDate: now,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      // Only a token fault is a 401; a failure to load the keys (database down) is the server's, a 500.
      if (error instanceof InvalidToken) throw error;
      if (!(error instanceof joseErrors.JOSEError)) throw error;
      throw new InvalidToken(error.code === 'ERR_JWT_EXPIRED' ? 'The access token has expired' : 'The access token is invalid');
    }
    const claims = { sub: String(payload.sub), scope: String(payload.scope ?? ''), exp: payload.exp!, kid: protectedHeader.kid ?? '' };
    if (verified.size >= maxEntries) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
    return claims;
  };
}

/** The source address (the client's, behind a trusted proxy) and request id of a request. */
export function requestOrigin(request: FastifyRequest): RequestOrigin {
  return { sourceAddress: request.ip ?? null, requestId: request.id };
}

export default fp(authPlugin, { name: 'auth' });
