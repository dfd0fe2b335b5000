import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Database } from '../../db/database.ts';
import { Forbidden, ProblemError } from '../../errors.ts';
import type { RequestOrigin } from '../audit/index.ts';
import { claimAssertionId, type Actor, type ClientLookup } from '../auth/index.ts';

/**
 * CDS Hooks 2.0 "Trusting CDS Clients": every call carries `Authorization: Bearer <JWT>` signed by the
 * CDS client (the hospital's EHR) with its own private key. Here the client is a hospital client
 * registered with a JWKS (as for private_key_jwt): `iss` is the CDS issuer it registered (a URI, often
 * the EHR's FHIR base URL) or else its client id, `aud` the URL of the endpoint called, `jti` single-use
 * (kept with the token endpoint's assertion ids until `exp`), `exp` at most five minutes ahead. A `jku`
 * header is never followed: only the registered keys are trusted.
 */

/** Asymmetric algorithms only (the specification forbids `none` and shared-secret HMACs). */
const algorithms = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'];
const maxLifetimeSeconds = 300;
/** How far ahead of ours a client's clock may run. */
const maxClockAheadSeconds = 60;

export class CdsClientUnauthorized extends ProblemError {
  constructor(detail: string) {
    // A header value is printable ASCII, and a quoted string here holds no quote or backslash.
    const description = detail.replace(/[^\x20-\x7e]|["\\]/g, "'");
    super(
      401,
      'unauthorized',
      'Unauthorized',
      detail,
      {},
      {
        'www-authenticate': `Bearer realm="cds-hooks", error="invalid_token", error_description="${description}"`,
      },
    );
  }
}

export interface CdsClientAuthDeps {
  db: Database;
  clock: () => Date;
  clients: ClientLookup;
}

function failure(error: unknown, audiences: readonly string[]): CdsClientUnauthorized {
  if (error instanceof joseErrors.JWTExpired) return new CdsClientUnauthorized('The JWT has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new CdsClientUnauthorized(`The JWT's aud must be the URL called: ${audiences[0]}`);
    return new CdsClientUnauthorized(`The JWT's ${error.claim} claim is missing or invalid: ${error.reason}`);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return new CdsClientUnauthorized('The JWT’s signature does not verify with any key the client registered');
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return new CdsClientUnauthorized(`The JWT must be signed with one of ${algorithms.join(', ')}`);
  return new CdsClientUnauthorized('The JWT is not a valid signed JWT');
}

export function createCdsClientAuth({ db, clock, clients }: CdsClientAuthDeps) {
  // A client's key set is read once per cached client row (a change to the client drops the row).
  const keySets = new WeakMap<object, JWTVerifyGetKey>();
  const keySetOf = (client: object, jwks: { keys: Record<string, unknown>[] }) => {
    let keySet = keySets.get(client);
    if (!keySet) keySets.set(client, (keySet = createLocalJWKSet(jwks as JSONWebKeySet)));
    return keySet;
  };

  /** A registered CDS issuer is an http(s) URI; a client id never is (it has no colon): the two cannot be confused. */
  async function clientOf(issuer: string) {
    if (/^https?:\/\//.test(issuer)) return issuer.length <= 255 ? clients.findByCdsIssuer(issuer) : undefined;
    return issuer.length <= 64 ? clients.find(issuer) : undefined;
  }

  return {
    /**
     * The hospital a CDS client acts for, from its JWT: 401 for anything wrong with the JWT or its
     * issuer, 403 for a client not allowed recognition checks.
     */
    async authenticate(authorization: string | undefined, audiences: readonly string[], origin: RequestOrigin): Promise<Actor> {
      if (!authorization) throw new CdsClientUnauthorized('A CDS client JWT is required: Authorization: Bearer <JWT>');
      const token = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(authorization)?.[1];
      if (!token) throw new CdsClientUnauthorized('The Authorization header must be "Bearer <JWT>"');
      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch {
        throw new CdsClientUnauthorized('The JWT is not a valid signed JWT');
      }
      if (typeof issuer !== 'string' || issuer === '') {
        throw new CdsClientUnauthorized('The JWT needs an iss: the CDS issuer the client registered, or its client id');
      }
      const client = await clientOf(issuer);
      if (!client || client.disabled_at || !client.jwks || !client.hospital_id) {
        throw new CdsClientUnauthorized('The JWT’s iss is not the CDS issuer or the id of a hospital client registered with a JWKS');
      }
      const now = clock();
      let payload, protectedHeader;
      try {
        ({ payload, protectedHeader } = await jwtVerify(token, keySetOf(client, client.jwks), {
          issuer,
          audience: [...audiences],
          algorithms,
          requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
          currentDate: now,
        }));
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) throw failure(error, audiences);
        throw error;
      }
      // CDS Hooks 2.0 requires typ JWT and the key's kid in the header, and an aud of the service called:
      // a JWT addressed to other services as well could be replayed there.
      if (typeof protectedHeader.typ !== 'string' || protectedHeader.typ.toUpperCase() !== 'JWT') {
        throw new CdsClientUnauthorized('The JWT’s typ header must be JWT');
      }
      if (typeof protectedHeader.kid !== 'string') throw new CdsClientUnauthorized('The JWT’s header must name its key (kid)');
      if ([payload.aud].flat().some((aud) => !audiences.includes(aud!))) {
        throw new CdsClientUnauthorized(`The JWT's aud must be the URL called: ${audiences[0]}`);
      }
      const seconds = now.getTime() / 1000;
      if (payload.exp! - seconds > maxLifetimeSeconds) throw new CdsClientUnauthorized('The JWT must expire within five minutes');
      if (payload.iat! - seconds > maxClockAheadSeconds) throw new CdsClientUnauthorized('The JWT’s iat lies in the future');
      if (!client.scopes.includes('recognition')) throw new Forbidden('This client is not granted the recognition scope');
      const jti = String(payload.jti);
      if (jti.length > 255) throw new CdsClientUnauthorized('The JWT’s jti is longer than 255 characters');
      if (!(await claimAssertionId(db, client.client_id, jti, new Date(payload.exp! * 1000), now))) {
        throw new CdsClientUnauthorized('The JWT was used before: a jti is good for one call');
      }
      return { clientId: client.client_id, hospitalId: client.hospital_id, scopes: new Set(['recognition']), isAdmin: false, origin };
    },
  };
}

export type CdsClientAuth = ReturnType<typeof createCdsClientAuth>;
