import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { Conflict, NotFound } from '../../errors.ts';
import { invalidFields } from '../../http/validation.ts';
import { actingHospital, assertHospital, type Actor } from '../auth/index.ts';
import { findHospital } from '../registry/index.ts';
import { findDelivery, listDeliveries, requeueFailedDelivery, type DeliveryRow } from './deliveries-repository.ts';
import {
  countEnabledEndpoints,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  lockEndpointPlaces,
  updateEndpoint,
  type EndpointRow,
} from './endpoints-repository.ts';
import type { DeliveryListQuery, DeliveryView, EndpointChange, EndpointListQuery, EndpointRegistration, EndpointView } from './schemas.ts';
import { createSecretBox, generateSigningSecret } from './secrets.ts';
import { checkTarget, urlProblem, type TargetPolicy } from './targets.ts';

export interface WebhookServiceDeps {
  db: Database;
  clock: () => Date;
  /** The secret the endpoints' signing secrets are sealed under. */
  patientKeySecret: string;
  targets: TargetPolicy;
}

/** Each event is sent to every enabled endpoint of its hospital: a bound on that fan-out. */
export const maxEndpointsPerHospital = 10;
/** After a rotation, deliveries are signed with the previous secret too, for this long. */
export const rotationOverlapMs = 24 * 3_600_000;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function endpointView(row: EndpointRow, now: Date): EndpointView {
  const overlapping = row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now;
  return {
    id: row.id,
    hospitalId: row.hospital_id,
    url: row.url,
    description: row.description,
    enabled: row.enabled,
    previousSecretExpiresAt: overlapping ? row.previous_secret_expires_at : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
  };
}

export function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    hospitalId: row.hospital_id,
    eventType: row.event_type,
    eventId: row.event_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
    payload: row.payload,
  };
}

/** The cursor is opaque to clients: base64url of the last delivery's id. */
function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!uuidPattern.test(id)) throw invalidFields([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
  return id;
}

/**
 * Hospitals' webhook endpoints and their deliveries. A hospital client sees and changes only its own
 * hospital's; another hospital's endpoint or delivery is answered 404, as if it did not exist.
 */
export function createWebhookService({ db, clock, patientKeySecret, targets }: WebhookServiceDeps) {
  const secrets = createSecretBox(patientKeySecret);

  async function checkUrl(url: string): Promise<void> {
    const problem = urlProblem(url, targets) ?? (await resolvesSafely(url));
    if (problem) throw invalidFields([{ field: 'url', message: problem }]);
  }

  async function resolvesSafely(url: string): Promise<string | null> {
    const target = await checkTarget(new URL(url), targets);
    return target.ok ? null : target.problem;
  }

  async function ownEndpoint(actor: Actor, endpointId: string): Promise<EndpointRow> {
    const row = await findEndpoint(db, endpointId);
    if (!row || (!actor.isAdmin && row.hospital_id !== actor.hospitalId))
      throw new NotFound(`Webhook endpoint ${endpointId} does not exist`);
    return row;
  }

  /** One of the hospital's places for an enabled endpoint, held until the transaction ends; 409 when all are taken. */
  async function takePlace(trx: Transaction<DB>, hospitalId: string, except?: string) {
    await lockEndpointPlaces(trx, hospitalId);
    if ((await countEnabledEndpoints(trx, hospitalId, except)) >= maxEndpointsPerHospital)
      throw new Conflict(
        `Hospital ${hospitalId} has ${maxEndpointsPerHospital} enabled webhook endpoints already: change or disable one`,
        'too-many-endpoints',
      );
  }

  /** The hospital a request acts for: an administrator names it, a hospital client is its own. */
  function hospitalOf(actor: Actor, named: string | undefined): string {
    if (named !== undefined) {
      assertHospital(actor, named);
      return named;
    }
    if (actor.hospitalId) return actor.hospitalId;
    throw invalidFields([{ field: 'hospitalId', message: 'is required for administrators' }]);
  }

  return {
    /** Registers an endpoint; its signing secret is generated and shown in this answer only. */
    async register(actor: Actor, input: EndpointRegistration) {
      const hospitalId = hospitalOf(actor, input.hospitalId);
      if (!(await findHospital(db, hospitalId))) throw invalidFields([{ field: 'hospitalId', message: 'is not a registered hospital' }]);
      await checkUrl(input.url);
      const secret = generateSigningSecret();
      const now = clock();
      const row = await db.transaction().execute(async (trx) => {
        await takePlace(trx, hospitalId);
        return insertEndpoint(trx, {
          hospital_id: hospitalId,
          url: input.url,
          description: input.description ?? null,
          secret_sealed: secrets.seal(secret),
          created_at: now,
          updated_at: now,
          created_by: actor.clientId,
        });
      });
      return { ...endpointView(row, now), secret };
    },

    async list(actor: Actor, query: EndpointListQuery) {
      if (query.hospitalId !== undefined) assertHospital(actor, query.hospitalId);
      const rows = await listEndpoints(db, actor.isAdmin ? query.hospitalId : actingHospital(actor));
      const now = clock();
      return { endpoints: rows.map((row) => endpointView(row, now)) };
    },

    async get(actor: Actor, endpointId: string) {
      return endpointView(await ownEndpoint(actor, endpointId), clock());
    },

    async change(actor: Actor, endpointId: string, change: EndpointChange) {
      const current = await ownEndpoint(actor, endpointId);
      if (change.url !== undefined) await checkUrl(change.url);
      const now = clock();
      const row = await db.transaction().execute(async (trx) => {
        // Enabling takes a place again; the endpoint itself is not counted, so enabling it twice at once is one place.
        if (change.enabled === true) await takePlace(trx, current.hospital_id, endpointId);
        return updateEndpoint(trx, endpointId, {
          ...(change.url !== undefined ? { url: change.url } : {}),
          ...(change.description !== undefined ? { description: change.description } : {}),
          ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
          updated_at: now,
        });
      });
      return endpointView(row!, now);
    },

    /**
     * A new signing secret, shown in this answer only. The one it replaces stays in force for 24 hours
     * (deliveries carry both signatures meanwhile), so receivers can switch without missing one; a
     * secret from an earlier rotation stops at once.
     */
    async rotateSecret(actor: Actor, endpointId: string) {
      return db.transaction().execute(async (trx) => {
        const current = await findEndpoint(trx, endpointId, { lock: true });
        if (!current || (!actor.isAdmin && current.hospital_id !== actor.hospitalId))
          throw new NotFound(`Webhook endpoint ${endpointId} does not exist`);
        const secret = generateSigningSecret();
        const now = clock();
        const row = await updateEndpoint(trx, endpointId, {
          secret_sealed: secrets.seal(secret),
          previous_secret_sealed: current.secret_sealed,
          previous_secret_expires_at: new Date(now.getTime() + rotationOverlapMs),
          updated_at: now,
        });
        return { ...endpointView(row!, now), secret };
      });
    },

    /** Deliveries newest first: a hospital's own, or (administrators) everyone's. */
    async deliveries(actor: Actor, query: DeliveryListQuery) {
      if (query.hospitalId !== undefined) assertHospital(actor, query.hospitalId);
      const rows = await listDeliveries(db, {
        hospitalId: actor.isAdmin ? query.hospitalId : actingHospital(actor),
        endpointId: query.endpointId,
        status: query.status,
        before: decodeCursor(query.cursor),
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      return { deliveries: page.map(deliveryView), nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!.id) : null };
    },

    /** A failed delivery is sent again, its attempts counted afresh; a pending one is left as it is. */
    async retry(actor: Actor, deliveryId: string) {
      const row = await findDelivery(db, deliveryId);
      if (!row || (!actor.isAdmin && row.hospital_id !== actor.hospitalId))
        throw new NotFound(`Webhook delivery ${deliveryId} does not exist`);
      if (row.status === 'delivered') throw new Conflict(`Webhook delivery ${deliveryId} was delivered already`, 'already-delivered');
      if (row.status === 'pending') return deliveryView(row);
      return deliveryView((await requeueFailedDelivery(db, deliveryId, clock())) ?? (await findDelivery(db, deliveryId))!);
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
