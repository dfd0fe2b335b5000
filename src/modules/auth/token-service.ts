import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import type { Database } from '../../db/database.ts';
import { claimAssertionId, findClient, type ClientRow } from './clients-repository.ts';
import type { SigningKey } from './keys.ts';
import { decoyHash, verifySecret } from './secrets.ts';

export const clientAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An RFC 6749 §5.2 error. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope',
    description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
  }
}

export interface TokenRequest {
  grantType: string | undefined;
  scope: string | undefined;
  /** From the Authorization: Basic header (client_secret_basic). */
  basic: { clientId: string; clientSecret: string } | null;
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientAssertionType: string | undefined;
  clientAssertion: string | undefined;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export interface TokenServiceDeps {
  db: Database;
  clock: () => Date;
  signingKey: SigningKey;
  issuer: string;
  audience: string;
  tokenEndpoint: string;
  ttlSeconds: number;
}

/** The longest a client assertion may live (SMART Backend Services: no more than five minutes). */
const maxAssertionLifetimeSeconds = 300;

export function createTokenService(deps: TokenServiceDeps) {
  async function authenticateClient(request: TokenRequest): Promise<ClientRow> {
    const methods = [request.basic, request.clientSecret, request.clientAssertion].filter((m) => m !== undefined && m !== null);
    if (methods.length > 1) throw new OAuthError('invalid_request', 'Use exactly one client authentication method');
    if (request.clientAssertion !== undefined || request.clientAssertionType !== undefined) return byAssertion(request);
    const credentials = request.basic ?? (request.clientId && request.clientSecret !== undefined
      ? { clientId: request.clientId, clientSecret: request.clientSecret }
      : null);
    if (!credentials) throw new OAuthError('invalid_client', 'Client authentication is required');
    if (request.basic && request.clientId && request.clientId !== request.basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the authenticated client');
    }
    const client = await findClient(deps.db, credentials.clientId);
    const matches = await verifySecret(credentials.clientSecret, client?.secret_hash ?? (await decoyHash));
    if (!client || !client.secret_hash || !matches) throw new OAuthError('invalid_client', 'Unknown client or wrong secret');
    return client;
  }

  /** private_key_jwt (RFC 7523 §2.2), as profiled by SMART Backend Services. */
  async function byAssertion(request: TokenRequest): Promise<ClientRow> {
    if (request.clientAssertionType !== clientAssertionType || !request.clientAssertion) {
      throw new OAuthError('invalid_request', `client_assertion_type must be ${clientAssertionType}, with a client_assertion`);
    }
    let claimedClient: string | undefined;
    try {
      claimedClient = decodeJwt(request.clientAssertion).iss;
    } catch {
      throw new OAuthError('invalid_client', 'client_assertion is not a JWT');
    }
    const client = claimedClient ? await findClient(deps.db, claimedClient) : undefined;
    if (!client?.jwks) throw new OAuthError('invalid_client', 'Unknown client or no registered JWKS');
    const now = deps.clock();
    let payload;
    try {
      ({ payload } = await jwtVerify(request.clientAssertion, createLocalJWKSet(client.jwks as JSONWebKeySet), {
        issuer: client.client_id,
        subject: client.client_id,
        audience: deps.tokenEndpoint,
        requiredClaims: ['exp', 'jti'],
        currentDate: now,
        algorithms: ['ES256', 'ES384', 'RS256', 'RS384', 'PS256', 'EdDSA'],
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JOSEError ? error.message : 'invalid';
      throw new OAuthError('invalid_client', `client_assertion rejected: ${reason}`);
    }
    const expiresAt = new Date(payload.exp! * 1000);
    if (payload.exp! - now.getTime() / 1000 > maxAssertionLifetimeSeconds) {
      throw new OAuthError('invalid_client', `client_assertion must expire within ${maxAssertionLifetimeSeconds} seconds`);
    }
    if (!(await claimAssertionId(deps.db, client.client_id, String(payload.jti), expiresAt, now))) {
      throw new OAuthError('invalid_client', 'client_assertion jti was already used');
    }
    return client;
  }

  function grantedScopes(client: ClientRow, requested: string | undefined): string[] {
    if (requested === undefined || requested.trim() === '') return client.scopes;
    const asked = [...new Set(requested.trim().split(/\s+/))];
    const refused = asked.filter((s) => !client.scopes.includes(s));
    if (refused.length > 0) throw new OAuthError('invalid_scope', `Scope not granted to this client: ${refused.join(' ')}`);
    return asked;
  }

  return {
    async issue(request: TokenRequest): Promise<IssuedToken> {
      if (request.grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
      const client = await authenticateClient(request);
      if (request.grantType !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported');
      }
      if (client.disabled_at) throw new OAuthError('invalid_client', 'This client is disabled');
      const scopes = grantedScopes(client, request.scope);
      const now = Math.floor(deps.clock().getTime() / 1000);
      const accessToken = await new SignJWT({
        scope: scopes.join(' '),
        client_id: client.client_id,
        ...(client.hospital_id ? { hospital_id: client.hospital_id } : {}),
      })
        .setProtectedHeader({ alg: 'ES256', kid: deps.signingKey.kid, typ: 'at+jwt' })
        .setIssuer(deps.issuer)
        .setAudience(deps.audience)
        .setSubject(client.client_id)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + deps.ttlSeconds)
        .sign(deps.signingKey.privateKey);
      return { access_token: accessToken, token_type: 'Bearer', expires_in: deps.ttlSeconds, scope: scopes.join(' ') };
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
