import { randomBytes } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import type { Database } from '../../db/database.ts';
import { BadRequest, Conflict, NotFound } from '../../errors.ts';
import { findHospital } from '../registry/index.ts';
import { disableClient, findClient, insertClient, listClients, type ClientRow } from './clients-repository.ts';
import { hospitalScopes } from './actor.ts';
import { generateSecret, hashSecret } from './secrets.ts';

export function clientView(row: ClientRow) {
  return {
    clientId: row.client_id,
    hospitalId: row.hospital_id,
    scopes: row.scopes,
    authMethod: row.jwks ? ('private_key_jwt' as const) : ('client_secret' as const),
    cdsIssuer: row.cds_issuer,
    description: row.description,
    createdAt: row.created_at.toISOString(),
    disabledAt: row.disabled_at?.toISOString() ?? null,
  };
}

/** A registered JWKS must hold public signing keys only (a private key here would be a leak). */
async function checkJwks(jwks: { keys: Record<string, unknown>[] }): Promise<void> {
  for (const [index, key] of jwks.keys.entries()) {
    const field = `jwks.keys.${index}`;
    if ('d' in key || 'p' in key || 'k' in key)
      throw new BadRequest('The JWKS must hold public keys only', [{ field, message: 'is a private or symmetric key' }]);
    if (typeof key.kid !== 'string') throw new BadRequest('Every key needs a kid', [{ field: `${field}.kid`, message: 'is required' }]);
    try {
      await importJWK(
        key as JWK,
        typeof key.alg === 'string' ? key.alg : key.kty === 'EC' ? 'ES256' : key.kty === 'OKP' ? 'EdDSA' : 'RS256',
      );
    } catch {
      throw new BadRequest('A key of the JWKS could not be read', [{ field, message: 'is not a usable public JWK' }]);
    }
  }
}

export function createClientService({ db, clock, onChange }: { db: Database; clock: () => Date; onChange: (clientId: string) => void }) {
  return {
    /** Registers a hospital client. Without a JWKS a secret is generated and returned this once. */
    async register(
      hospitalId: string,
      input: { clientId?: string; jwks?: { keys: Record<string, unknown>[] }; cdsIssuer?: string; scopes?: string[]; description?: string },
    ) {
      if (!(await findHospital(db, hospitalId))) throw new NotFound(`Hospital ${hospitalId} is not registered`);
      if (input.cdsIssuer !== undefined && !input.jwks) {
        throw new BadRequest('A CDS issuer signs with keys: register it with its jwks', [{ field: 'cdsIssuer', message: 'needs jwks' }]);
      }
      if (input.jwks) await checkJwks(input.jwks);
      const clientId = input.clientId ?? `${hospitalId}-${randomBytes(4).toString('hex')}`;
      const secret = input.jwks ? null : generateSecret();
      const inserted = await insertClient(db, {
        clientId,
        hospitalId,
        scopes: [...new Set(input.scopes ?? hospitalScopes)],
        secretHash: secret ? await hashSecret(secret) : null,
        jwks: input.jwks ?? null,
        cdsIssuer: input.cdsIssuer ?? null,
        description: input.description ?? null,
      });
      if (inserted === 'id taken') throw new Conflict(`Client id ${clientId} is taken`);
      if (inserted === 'issuer taken') throw new Conflict(`CDS issuer ${input.cdsIssuer} is another client's`);
      const row = await findClient(db, clientId);
      return { ...clientView(row!), ...(secret ? { clientSecret: secret } : {}) };
    },

    async list(hospitalId: string) {
      if (!(await findHospital(db, hospitalId))) throw new NotFound(`Hospital ${hospitalId} is not registered`);
      return { clients: (await listClients(db, hospitalId)).map(clientView) };
    },

    /**
     * Disabling is immediate: this instance forgets the client before answering, and the others
     * as soon as the change is announced (src/modules/auth/client-cache.ts).
     */
    async disable(clientId: string) {
      const row = await disableClient(db, clientId, clock());
      onChange(clientId);
      if (!row) throw new NotFound(`Client ${clientId} is not registered`);
      return clientView(row);
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
