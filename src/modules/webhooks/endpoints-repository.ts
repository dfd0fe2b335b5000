import { sql, type Insertable, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { DB, WebhookEndpoints } from '../../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;
export type EndpointRow = Selectable<WebhookEndpoints>;

const endpointColumns = [
  'id',
  'hospital_id',
  'url',
  'description',
  'secret_sealed',
  'previous_secret_sealed',
  'previous_secret_expires_at',
  'enabled',
  'created_at',
  'updated_at',
  'created_by',
] as const;

export function insertEndpoint(db: Executor, row: Insertable<WebhookEndpoints>): Promise<EndpointRow> {
  return db.insertInto('webhook_endpoints').values(row).returning(endpointColumns).executeTakeFirstOrThrow();
}

export function findEndpoint(db: Executor, id: string, options: { lock?: boolean } = {}): Promise<EndpointRow | undefined> {
  const query = db.selectFrom('webhook_endpoints').select(endpointColumns).where('id', '=', id);
  return (options.lock ? query.forUpdate() : query).executeTakeFirst();
}

/** Oldest first. */
export function listEndpoints(db: Executor, hospitalId: string | undefined): Promise<EndpointRow[]> {
  let query = db.selectFrom('webhook_endpoints').select(endpointColumns);
  if (hospitalId !== undefined) query = query.where('hospital_id', '=', hospitalId);
  return query.orderBy('id').execute();
}

/**
 * Takes the hospital's endpoint places until the transaction ends: two registrations (or enablings)
 * at once count one after the other, so they cannot both take the last place.
 */
export async function lockEndpointPlaces(trx: Transaction<DB>, hospitalId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`webhook-endpoints/${hospitalId}`}, 0))`.execute(trx);
}

/** The hospital's enabled endpoints, but for `except`: the places taken (a disabled endpoint is sent nothing). */
export async function countEnabledEndpoints(db: Executor, hospitalId: string, except?: string): Promise<number> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('hospital_id', '=', hospitalId)
    .where('enabled', '=', true)
    .$if(except !== undefined, (q) => q.where('id', '<>', except!))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function updateEndpoint(db: Executor, id: string, change: Updateable<WebhookEndpoints>): Promise<EndpointRow | undefined> {
  return db.updateTable('webhook_endpoints').set(change).where('id', '=', id).returning(endpointColumns).executeTakeFirst();
}
