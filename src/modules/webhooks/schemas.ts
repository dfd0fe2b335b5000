import { z } from 'zod';
import { cursorPage, dateTime, identifier, line } from '../../http/schemas.ts';
import { maxUrlLength } from './targets.ts';

const url = z
  .string()
  .max(maxUrlLength)
  .regex(/^[!-~]+$/, 'must be printable ASCII without spaces (percent-encode the rest)')
  .describe(
    'Where events are POSTed: an https URL without credentials whose host resolves only to public addresses ' +
      '(checked here and again at every delivery)',
  );

export const endpointRegistration = z
  .object({
    hospitalId: identifier
      .optional()
      .describe('The hospital whose events go to this endpoint: required for administrators; a hospital client registers its own'),
    url,
    description: line(200).optional().describe('What the endpoint is, for people'),
  })
  .strict()
  .meta({ id: 'WebhookEndpointRegistration' });
export type EndpointRegistration = z.output<typeof endpointRegistration>;

export const endpointChange = z
  .object({
    url: url.optional(),
    description: line(200).nullable().optional().describe('null removes it'),
    enabled: z
      .boolean()
      .optional()
      .describe('A disabled endpoint is sent nothing: its deliveries wait, and resume when it is enabled again'),
  })
  .strict()
  .refine((change) => Object.keys(change).length > 0, 'must change at least one of url, description, enabled')
  .meta({ id: 'WebhookEndpointChange' });
export type EndpointChange = z.output<typeof endpointChange>;

export const endpointParams = z.object({ endpointId: z.uuid().describe('The endpoint id') });

export const endpointListQuery = z.object({
  hospitalId: identifier.optional().describe("Administrators: one hospital's endpoints (a hospital client sees only its own)"),
});
export type EndpointListQuery = z.output<typeof endpointListQuery>;

export const endpoint = z
  .object({
    id: z.string().describe('The endpoint id'),
    hospitalId: z.string().describe('The hospital whose events go here'),
    url: z.string().describe('Where events are POSTed'),
    description: z.string().nullable().describe('What the endpoint is, for people'),
    enabled: z.boolean().describe('false: nothing is sent; deliveries wait'),
    previousSecretExpiresAt: dateTime
      .nullable()
      .describe('After a rotation, until when deliveries are also signed with the previous secret; null when only one secret is in force'),
    createdAt: dateTime.describe('When the endpoint was registered'),
    updatedAt: dateTime.describe('When the endpoint last changed'),
    createdBy: z.string().describe('The client that registered it'),
  })
  .meta({
    id: 'WebhookEndpoint',
    description: 'Where a hospital receives events. Its signing secret is shown only when registered or rotated.',
  });
export type EndpointView = z.output<typeof endpoint>;

export const endpointWithSecret = endpoint
  .extend({
    secret: z
      .string()
      .describe(
        'The signing secret (whsec_ and base64 of 32 bytes), shown this once: verify each delivery’s webhook-signature with it (Standard Webhooks)',
      ),
  })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const endpointList = z.object({ endpoints: z.array(endpoint).describe('Oldest first') }).meta({ id: 'WebhookEndpointList' });

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;

export const deliveryListQuery = cursorPage.extend({
  status: z.enum(deliveryStatuses).optional().describe('Only deliveries in this state'),
  endpointId: z.uuid().optional().describe("Only one endpoint's deliveries"),
  hospitalId: identifier.optional().describe("Administrators: one hospital's deliveries (a hospital client sees only its own)"),
});
export type DeliveryListQuery = z.output<typeof deliveryListQuery>;

export const deliveryParams = z.object({ deliveryId: z.uuid().describe('The delivery id (the webhook-id header)') });

export const delivery = z
  .object({
    id: z.string().describe('The delivery id: the webhook-id header of every attempt, for receivers to de-duplicate on'),
    endpointId: z.string().describe('Where it goes'),
    hospitalId: z.string().describe('The hospital it is for'),
    eventType: z.string().describe('The envelope’s type, e.g. recall.created'),
    eventId: z.string().describe('The id of what the event is about (e.g. the recall)'),
    status: z
      .enum(deliveryStatuses)
      .describe('pending: not yet delivered (due at nextAttemptAt); delivered: a 2xx was received; failed: no attempts left'),
    attempts: z.number().int().describe('Attempts made so far'),
    nextAttemptAt: dateTime.nullable().describe('When a pending delivery is next attempted; null once delivered or failed'),
    lastAttemptAt: dateTime.nullable().describe('When it was last attempted'),
    lastStatusCode: z
      .number()
      .int()
      .nullable()
      .describe('The HTTP status of the last answer; null when none came (a time-out, a refused address)'),
    lastError: z
      .string()
      .nullable()
      .describe('Why the last attempt failed: the status and the start of the answer, or the connection error'),
    deliveredAt: dateTime.nullable().describe('When a 2xx was received'),
    createdAt: dateTime.describe('When the event was queued'),
    payload: z.record(z.string(), z.unknown()).describe('The envelope’s data'),
  })
  .meta({ id: 'WebhookDelivery' });
export type DeliveryView = z.output<typeof delivery>;

export const deliveryPage = z
  .object({
    deliveries: z.array(delivery).describe('Newest first'),
    nextCursor: z.string().nullable().describe('Pass as cursor for the next (older) page; null on the last page'),
  })
  .meta({ id: 'WebhookDeliveryPage' });
