import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { uuidV7Bound } from '../../db/ids.ts';
import type { DB, WebhookDeliveries } from '../../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;
export type DeliveryRow = Selectable<WebhookDeliveries>;
export type DeliveryStatus = DeliveryRow['status'];

const deliveryColumns = [
  'id',
  'endpoint_id',
  'hospital_id',
  'event_type',
  'event_id',
  'payload',
  'status',
  'attempts',
  'next_attempt_at',
  'last_attempt_at',
  'last_status_code',
  'last_error',
  'delivered_at',
  'created_at',
] as const;

/** A delivery the worker has leased, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  /** Counting this one. */
  attempts: number;
  created_at: Date;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
}

export interface Claim {
  now: Date;
  /** Until when the claimed deliveries are this worker's: then they are due again, should it never report. */
  leaseUntil: Date;
  limit: number;
  perEndpoint: number;
  /** Deliveries this worker is sending now, by endpoint: they count against the endpoint's limit. */
  sending: ReadonlyMap<string, number>;
}

/**
 * Leases due deliveries of enabled endpoints, the earliest first and at most `perEndpoint` per
 * endpoint (less those it is sending), in one statement: the attempt is counted and the delivery is
 * due again only when the lease ends. SKIP LOCKED lets workers on several instances claim side by
 * side, never the same delivery.
 */
export async function claimDueDeliveries(db: Executor, claim: Claim): Promise<ClaimedDelivery[]> {
  const busyEndpoints = [...claim.sending.keys()];
  const busyCounts = [...claim.sending.values()];
  const { rows } = await sql<ClaimedDelivery>`
    with busy (endpoint_id, sending) as (select * from unnest(${busyEndpoints}::uuid[], ${busyCounts}::integer[])),
    due as (
      select n.id
      from webhook_endpoints e
      left join busy b on b.endpoint_id = e.id
      cross join lateral (
        select d.id, d.next_attempt_at
        from webhook_deliveries d
        where d.endpoint_id = e.id and d.status = 'pending' and d.next_attempt_at <= ${claim.now}
        order by d.next_attempt_at
        limit greatest(0, ${claim.perEndpoint}::integer - coalesce(b.sending, 0))
        for update of d skip locked
      ) n
      where e.enabled
      order by n.next_attempt_at
      limit ${claim.limit}
    )
    update webhook_deliveries d
    set attempts = d.attempts + 1, last_attempt_at = ${claim.now}, next_attempt_at = ${claim.leaseUntil}
    from due, webhook_endpoints e
    where d.id = due.id and e.id = d.endpoint_id
    returning d.id, d.endpoint_id, d.event_type, d.payload, d.attempts, d.created_at,
      e.url, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at`.execute(db);
  return rows;
}

/** What became of an attempt. Recorded only while the lease is still this worker's. */
export type AttemptOutcome =
  | { delivered: true; at: Date; statusCode: number }
  | { delivered: false; statusCode: number | null; error: string; nextAttemptAt: Date; failed: boolean };

export async function recordAttempt(db: Executor, lease: { id: string; leaseUntil: Date }, outcome: AttemptOutcome): Promise<boolean> {
  const change = outcome.delivered
    ? { status: 'delivered' as const, delivered_at: outcome.at, last_status_code: outcome.statusCode, last_error: null }
    : {
        status: outcome.failed ? ('failed' as const) : ('pending' as const),
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        next_attempt_at: outcome.nextAttemptAt,
      };
  const updated = await db
    .updateTable('webhook_deliveries')
    .set(change)
    .where('id', '=', lease.id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', lease.leaseUntil)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

export interface DeliveryFilter {
  hospitalId?: string;
  endpointId?: string;
  status?: DeliveryStatus;
  /** Only deliveries older than this one (the keyset of a page). */
  before?: string;
  limit: number;
}

/** Newest first by id (a UUIDv7: the order of creation). */
export function listDeliveries(db: Executor, filter: DeliveryFilter): Promise<DeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').select(deliveryColumns);
  if (filter.hospitalId !== undefined) query = query.where('hospital_id', '=', filter.hospitalId);
  if (filter.endpointId !== undefined) query = query.where('endpoint_id', '=', filter.endpointId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return query.orderBy('id', 'desc').limit(filter.limit).execute();
}

export function findDelivery(db: Executor, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').select(deliveryColumns).where('id', '=', id).executeTakeFirst();
}

/** A failed delivery is pending again, due now, its attempts counted afresh. */
export function requeueFailedDelivery(db: Executor, id: string, now: Date): Promise<DeliveryRow | undefined> {
  return db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .returning(deliveryColumns)
    .executeTakeFirst();
}

/**
 * Deletes delivered and failed deliveries queued and last attempted before `before`, `batch` rows a
 * statement (each its own short transaction), until none is left or `stopped()`; answers how many.
 * Pending deliveries are kept however old, and so is an old one sent again lately. A delivery's id is
 * a UUIDv7, so "queued before" is a range of the primary key, and the scan reads only the old rows.
 * The conditions are repeated on the delete itself, which PostgreSQL checks again on a row that
 * changed while it waited for it (a failed delivery queued again meanwhile is kept).
 */
export async function purgeFinishedDeliveries(
  db: Kysely<DB>,
  before: Date,
  { batch = 1_000, stopped = () => false }: { batch?: number; stopped?: () => boolean } = {},
): Promise<number> {
  const finishedBefore = sql<boolean>`id < ${uuidV7Bound(before)} and status <> 'pending' and coalesce(last_attempt_at, created_at) < ${before}`;
  let deleted = 0;
  while (!stopped()) {
    const { numDeletedRows } = await db
      .deleteFrom('webhook_deliveries')
      .where(finishedBefore)
      .where('id', 'in', (q) => q.selectFrom('webhook_deliveries').select('id').where(finishedBefore).orderBy('id').limit(batch))
      .executeTakeFirst();
    const count = Number(numDeletedRows);
    deleted += count;
    if (count < batch) break;
  }
  return deleted;
}

/** Deliveries due and not yet sent (of enabled endpoints), and how long the oldest has waited. */
export async function deliveryBacklog(db: Executor, now: Date): Promise<{ due: number; oldestSeconds: number }> {
  const { rows } = await sql<{ due: number; oldest: Date | null }>`
    select count(*)::integer as due, min(d.next_attempt_at) as oldest
    from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
    where d.status = 'pending' and d.next_attempt_at <= ${now} and e.enabled`.execute(db);
  const { due, oldest } = rows[0];
  return { due, oldestSeconds: oldest === null ? 0 : Math.max(0, (now.getTime() - oldest.getTime()) / 1000) };
}
