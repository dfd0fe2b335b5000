import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import type { Database } from '../../db/database.ts';
import { claimAssertionId, findClient, isClientIdForm, type ClientRow } from './clients-repository.ts';
import type { SigningKey } from './keys.ts';
import type { AuditTrail, RequestOrigin } from '../audit/index.ts';
import type { Lockout } from './lockout.ts';
import { decoyHash, type SecretVerifier } from './secrets.ts';
import { isSmartScope, parseSmartScope, scopesOfSmartScope } from './smart-scopes.ts';

export const clientAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An RFC 6749 §5.2 error. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  /** Sent as Retry-After (a lock-out). */
  readonly retryAfterSeconds?: number;

  constructor(error: OAuthErrorCode, description: string, status = error === 'invalid_client' ? 401 : 400, retryAfterSeconds?: number) {
    super(description);
    this.error = error;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Every failed client authentication answers the same, whatever failed (unknown client, wrong
 * secret, disabled client, bad assertion), so the answer never confirms that a secret was right.
 */
const authenticationFailed = () => new OAuthError('invalid_client', 'Client authentication failed');

export interface TokenRequest {
  grantType: string | undefined;
  scope: string | undefined;
  /** From the Authorization: Basic header (client_secret_basic). */
  basic: { clientId: string; clientSecret: string } | null;
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientAssertionType: string | undefined;
  clientAssertion: string | undefined;
  origin: RequestOrigin;
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
  lockout: Lockout;
  verifySecret: SecretVerifier;
  audit: AuditTrail;
}

/** Algorithms a client assertion may be signed with; EdDSA under both its names (RFC 8037's and the fully specified one). */
export const assertionAlgorithms = ['ES256', 'ES384', 'RS256', 'RS384', 'PS256', 'EdDSA', 'Ed25519'] as const;

/** The longest a client assertion may live (SMART Backend Services: no more than five minutes). */
const maxAssertionLifetimeSeconds = 300;

export function createTokenService(deps: TokenServiceDeps) {
  /**
   * Who is asking, by whichever method they chose. A pair of client id and source address that keeps
   * failing is locked out (lockout.ts) before its secret is even checked; every failure and lock-out
   * is audited.
   */
  async function authenticateClient(request: TokenRequest): Promise<ClientRow> {
    const methods = [request.basic, request.clientSecret, request.clientAssertion].filter((m) => m !== undefined && m !== null);
    if (methods.length > 1) throw new OAuthError('invalid_request', 'Use exactly one client authentication method');
    const byAssertion = request.clientAssertion !== undefined || request.clientAssertionType !== undefined;
    const claimed = byAssertion ? assertedClient(request) : (request.basic?.clientId ?? request.clientId);
    if (!byAssertion && !request.basic && (request.clientId === undefined || request.clientSecret === undefined)) {
      throw new OAuthError('invalid_client', 'Client authentication is required');
    }
    if (request.basic && request.clientId && request.clientId !== request.basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the authenticated client');
    }
    const address = request.origin.sourceAddress ?? 'unknown';
    const wait = deps.lockout.retryAfterSeconds(claimed ?? '', address);
    if (wait > 0) {
      await recordFailure(request, claimed, 'locked-out');
      throw new OAuthError('temporarily_unavailable', `Too many failed authentications; retry after ${wait} s`, 429, wait);
    }
    const client = claimed ? await findClient(deps.db, claimed) : undefined;
    const authenticated = byAssertion ? await verifyAssertion(request, client) : await verifyClientSecret(request, client);
    if (!authenticated || !client || client.disabled_at) {
      const locked = deps.lockout.failed(claimed ?? '', address);
      await recordFailure(request, claimed, locked ? 'invalid_client, now locked out' : 'invalid_client', client);
      throw authenticationFailed();
    }
    deps.lockout.succeeded(client.client_id, address);
    return client;
  }

  async function recordFailure(request: TokenRequest, claimed: string | undefined, detail: string, client?: ClientRow) {
    await deps.audit.record(deps.db, {
      action: 'auth.token',
      outcome: 'refused',
      outcomeDetail: detail,
      at: deps.clock(),
      clientId: client?.client_id ?? null,
      hospitalId: client?.hospital_id ?? null,
      query: {
        claimedClientId: claimed && isClientIdForm(claimed) ? claimed : null,
        method: request.clientAssertion ? 'private_key_jwt' : request.basic ? 'client_secret_basic' : 'client_secret_post',
      },
      origin: request.origin,
    });
  }

  /** A secret is always hashed, against a decoy when the client is unknown, so timing tells nothing. */
  async function verifyClientSecret(request: TokenRequest, client: ClientRow | undefined): Promise<boolean> {
    const secret = request.basic?.clientSecret ?? request.clientSecret ?? '';
    const matches = await deps.verifySecret(secret, client?.secret_hash ?? (await decoyHash));
    return matches && Boolean(client?.secret_hash);
  }

  function assertedClient(request: TokenRequest): string | undefined {
    if (request.clientAssertionType !== clientAssertionType || !request.clientAssertion) {
      throw new OAuthError('invalid_request', `client_assertion_type must be ${clientAssertionType}, with a client_assertion`);
    }
    try {
      return decodeJwt(request.clientAssertion).iss;
    } catch {
      return undefined;
    }
  }

  /** private_key_jwt (RFC 7523 §2.2), as profiled by SMART Backend Services. */
  async function verifyAssertion(request: TokenRequest, client: ClientRow | undefined): Promise<boolean> {
    if (!client?.jwks) return false;
    const now = deps.clock();
    let payload;
    try {
      ({ payload } = await jwtVerify(request.clientAssertion!, createLocalJWKSet(client.jwks as JSONWebKeySet), {
        issuer: client.client_id,
        subject: client.client_id,
        // RFC 7523 as updated, and the OAuth security BCP: the issuer's identifier; the token endpoint's URL as before.
        audience: [deps.issuer, deps.tokenEndpoint],
        requiredClaims: ['exp', 'jti'],
        currentDate: now,
        algorithms: [...assertionAlgorithms],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return false;
      throw error;
    }
    const expiresAt = new Date(payload.exp! * 1000);
    if (payload.exp! - now.getTime() / 1000 > maxAssertionLifetimeSeconds) return false;
    return claimAssertionId(deps.db, client.client_id, String(payload.jti), expiresAt, now);
  }

  /**
   * The scopes asked for, each granted whole or the request refused: a service scope the client
   * holds, or a SMART system scope whose service scopes (smart-scopes.ts) the client holds. The token
   * carries them as asked; the auth plugin maps SMART scopes again on every request.
   */
  function grantedScopes(client: ClientRow, requested: string | undefined): string[] {
    if (requested === undefined || requested.trim() === '') return client.scopes;
    const asked = [...new Set(requested.trim().split(/\s+/))];
    for (const scope of asked.filter(isSmartScope)) {
      const parsed = parseSmartScope(scope);
      if ('refused' in parsed) throw new OAuthError('invalid_scope', parsed.refused);
    }
    const held = (s: string) =>
      isSmartScope(s) ? scopesOfSmartScope(s).every((m) => client.scopes.includes(m)) : client.scopes.includes(s);
    const refused = asked.filter((s) => !held(s));
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
