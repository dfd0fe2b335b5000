import type { Selectable } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Clients } from '../../db/schema.ts';

export type ClientRow = Selectable<Clients>;

const clientColumns = [
  'client_id',
  'hospital_id',
  'scopes',
  'secret_hash',
  'jwks',
  'cds_issuer',
  'description',
  'created_at',
  'disabled_at',
] as const;

/**
 * The lookups take what a caller claims (a Basic user name, a JWT's iss): one that no client could
 * have is unknown without asking the database, which refuses some of them (a NUL) with an error.
 * Client ids are registry identifiers, or the administrator's `[A-Za-z0-9._-]{3,64}`.
 */
export const isClientIdForm = (claimed: string) => /^[A-Za-z0-9._-]{1,64}$/.test(claimed);

export async function findClient(db: Database, clientId: string): Promise<ClientRow | undefined> {
  if (!isClientIdForm(clientId)) return undefined;
  return db.selectFrom('clients').select(clientColumns).where('client_id', '=', clientId).executeTakeFirst();
}

/** The client whose CDS Hooks JWTs carry this `iss`, when it is not a client id. */
export async function findClientIdByCdsIssuer(db: Database, issuer: string): Promise<string | undefined> {
  // PostgreSQL's text holds no NUL: asked to compare one, it refuses the query.
  if (issuer.includes('\u0000')) return undefined;
  const row = await db.selectFrom('clients').select('client_id').where('cds_issuer', '=', issuer).executeTakeFirst();
  return row?.client_id;
}

export function listClients(db: Database, hospitalId: string | null): Promise<ClientRow[]> {
  let query = db.selectFrom('clients').select(clientColumns).orderBy('client_id');
  query = hospitalId === null ? query.where('hospital_id', 'is', null) : query.where('hospital_id', '=', hospitalId);
  return query.execute();
}

/** Inserts a client; false when the id is taken. */
export async function insertClient(
  db: Database,
  client: {
    clientId: string;
    hospitalId: string | null;
    scopes: string[];
    secretHash: string | null;
    jwks: object | null;
    cdsIssuer?: string | null;
    description?: string | null;
  },
): Promise<'inserted' | 'id taken' | 'issuer taken'> {
  const inserted = await db
    .insertInto('clients')
    .values({
      client_id: client.clientId,
      hospital_id: client.hospitalId,
      scopes: client.scopes,
      secret_hash: client.secretHash,
      jwks: client.jwks === null ? null : JSON.stringify(client.jwks),
      cds_issuer: client.cdsIssuer ?? null,
      description: client.description ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('client_id')
    .executeTakeFirst();
  if (inserted) return 'inserted';
  // Nothing inserted: the id or the issuer is another client's (a unique key each).
  return (await findClient(db, client.clientId)) ? 'id taken' : 'issuer taken';
}

export async function disableClient(db: Database, clientId: string, at: Date): Promise<ClientRow | undefined> {
  return db
    .updateTable('clients')
    .set((eb) => ({ disabled_at: eb.fn.coalesce('disabled_at', eb.val(at)) }))
    .where('client_id', '=', clientId)
    .returning(clientColumns)
    .executeTakeFirst();
}

/** Records a client assertion's jti; false when it was seen before (a replay). */
export async function claimAssertionId(db: Database, clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
  await db.deleteFrom('client_assertions').where('expires_at', '<', now).execute();
  const inserted = await db
    .insertInto('client_assertions')
    .values({ client_id: clientId, jti, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
    .returning('jti')
    .executeTakeFirst();
  return inserted !== undefined;
}
