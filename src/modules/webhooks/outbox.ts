import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';

/** An event for one hospital's webhook endpoints. */
export interface WebhookEvent {
  hospitalId: string;
  /** Dotted, e.g. `recall.created`: the envelope's `type`. */
  eventType: string;
  /** The id of what the event is about (a UUID): an endpoint gets each event once. */
  eventId: string;
  /** The envelope's `data`, as JSON (a Date becomes its ISO text). */
  payload: Record<string, unknown>;
  /** When the event happened: the envelope's `timestamp`, and when the first attempt is due. */
  now: Date;
}

/**
 * Queues one delivery of the event to each enabled endpoint of its hospital, in the caller's
 * transaction, so the event and its deliveries commit or roll back together; an event already queued
 * for an endpoint is not queued again. The insert wakes every instance's delivery worker when the
 * transaction commits (a trigger's NOTIFY). Returns how many deliveries were queued.
 */
export async function enqueueWebhookEvent(trx: Transaction<DB>, event: WebhookEvent): Promise<number> {
  const queued = await trx
    .insertInto('webhook_deliveries')
    .columns(['endpoint_id', 'hospital_id', 'event_type', 'event_id', 'payload', 'next_attempt_at', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('webhook_endpoints')
        .select([
          'id',
          'hospital_id',
          sql<string>`${event.eventType}::text`.as('event_type'),
          sql<string>`${event.eventId}::uuid`.as('event_id'),
          sql<string>`${JSON.stringify(event.payload)}::jsonb`.as('payload'),
          sql<Date>`${event.now}::timestamptz`.as('next_attempt_at'),
          sql<Date>`${event.now}::timestamptz`.as('created_at'),
        ])
        .where('hospital_id', '=', event.hospitalId)
        .where('enabled', '=', true),
    )
    .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
    .executeTakeFirst();
  return Number(queued.numInsertedOrUpdatedRows ?? 0);
}
