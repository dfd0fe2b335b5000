import { z } from 'zod';
import { line, text, uuidShape } from '../../http/schemas.ts';
import { decisionView } from '../recognition/index.ts';
import { cdsHooks, cdsServiceIds } from './definitions.ts';

// CDS Hooks 2.0 (https://cds-hooks.hl7.org/2.0/): discovery, the service call, its cards, and feedback.
// FHIR resources inside a request are read only where the service needs them; the rest passes through.

// Every string is bounded by a pattern (line/text refuse control and invisible characters).
const uri = line(2_000);
const fhirId = z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'must be a FHIR id');
const resourceType = z.string().regex(/^[A-Z][A-Za-z]{0,63}$/, 'must be a FHIR resource type');

export const fhirCoding = z.looseObject({ system: uri.optional(), code: line(200).optional(), display: line(1_000).optional() });

export const fhirIdentifier = z.looseObject({
  use: z.enum(['usual', 'official', 'temp', 'secondary', 'old']).optional(),
  type: z.looseObject({ coding: z.array(fhirCoding).max(20).optional() }).optional(),
  system: uri.optional(),
  value: line(200).optional(),
});

const fhirResource = z.looseObject({ resourceType, id: fhirId.optional() });

/** The parts of a draft ServiceRequest the service reads: its id, its codes and its subject. */
export const draftServiceRequest = z.looseObject({
  resourceType: z.literal('ServiceRequest'),
  id: fhirId.optional(),
  code: z.looseObject({ coding: z.array(fhirCoding).max(50).optional() }).optional(),
  subject: z.looseObject({ reference: line(200).optional(), identifier: fhirIdentifier.optional() }).optional(),
});

export const prefetchedPatient = z.looseObject({
  resourceType,
  id: fhirId.optional(),
  identifier: z.array(fhirIdentifier).max(50).optional(),
});

export const cdsServiceParams = z.object({ id: z.enum(cdsServiceIds).describe('The CDS Service id, as discovery lists it') });

export const cdsRequest = z
  .looseObject({
    hook: z.enum(cdsHooks).describe('Must be the hook the service is for'),
    hookInstance: z.uuid().describe('A UUID for this call, as the specification requires'),
    fhirServer: uri.optional().describe('Ignored: the service reads nothing from the CDS client'),
    fhirAuthorization: z.looseObject({}).optional().describe('Ignored: the service never calls the CDS client back'),
    context: z.looseObject({
      userId: line(200).describe('Practitioner/<id> or PractitionerRole/<id>: the doctor, recorded with the check'),
      patientId: fhirId,
      encounterId: fhirId.optional(),
      selections: z.array(line(200)).max(200).optional().describe('order-select: the newly selected orders, e.g. ServiceRequest/123'),
      draftOrders: z
        .looseObject({
          resourceType: z.literal('Bundle'),
          entry: z
            .array(z.looseObject({ resource: fhirResource.optional() }))
            .max(200)
            .optional(),
        })
        .describe('A Bundle of draft orders; its ServiceRequests are checked (order-select: the selected ones)'),
    }),
    prefetch: z.looseObject({ patient: prefetchedPatient.nullable().optional().describe('The Patient, with its identifiers') }).optional(),
    extension: z
      .looseObject({ 'dev.mutual-recognition.locale': line(64).optional().describe('zh or en; else Accept-Language decides') })
      .optional(),
  })
  .meta({ id: 'CdsHooksRequest', description: 'A CDS Hooks 2.0 service call for order-select or order-sign' });

export type CdsRequest = z.output<typeof cdsRequest>;

const cdsService = z.object({
  hook: z.enum(cdsHooks),
  title: z.string(),
  description: z.string(),
  id: z.string(),
  prefetch: z.record(z.string(), z.string()),
  usageRequirements: z.string(),
});

export const discoveryResponse = z.object({ services: z.array(cdsService) }).meta({ id: 'CdsHooksDiscovery' });

const cdsCoding = z.object({ system: z.string(), code: z.string(), display: z.string() });

export const cdsCard = z
  .object({
    uuid: z.uuid().describe('Names the card (its check, item and prior result) in feedback'),
    summary: z.string().max(139).describe('Fewer than 140 characters'),
    detail: z.string().describe('GitHub Flavored Markdown'),
    indicator: z.enum(['info', 'warning', 'critical']).describe('warning for ionising imaging (X-ray, CT, nuclear medicine)'),
    source: z.object({ label: z.string() }),
    suggestions: z
      .array(
        z.object({
          label: z.string(),
          uuid: z.uuid(),
          isRecommended: z.boolean(),
          actions: z.array(z.object({ type: z.enum(['delete']), description: z.string(), resourceId: z.string() })),
        }),
      )
      .optional()
      .describe('Remove the draft order(s) for the item: accepting it records a recognition'),
    selectionBehavior: z.enum(['at-most-one']).optional(),
    overrideReasons: z.array(cdsCoding).describe('The decline codes D1–D10: overriding with one records a decline'),
    links: z.array(z.object({ label: z.string(), url: z.url(), type: z.enum(['absolute']) })),
  })
  .meta({ id: 'CdsCard' });

export const cardsResponse = z.object({ cards: z.array(cdsCard) }).meta({ id: 'CdsHooksResponse' });

const feedbackEntry = z.looseObject({
  card: z.string().regex(uuidShape, 'is not a card uuid this service issued'),
  outcome: z.enum(['accepted', 'overridden']),
  acceptedSuggestions: z
    .array(z.looseObject({ id: line(128) }))
    .max(10)
    .optional(),
  overrideReason: z
    .looseObject({
      reason: z.looseObject({ system: uri, code: line(100), display: line(1_000).optional() }).optional(),
      userComment: text(2_000).optional().describe('Kept as the decline’s reason text (required with D6_OTHER; at most 200 characters)'),
    })
    .optional(),
  outcomeTimestamp: z.iso.datetime({ offset: true }),
});

export const feedbackRequest = z
  .looseObject({ feedback: z.array(feedbackEntry).min(1).max(100) })
  .meta({ id: 'CdsHooksFeedback', description: 'accepted (the suggestion) = recognized; overridden with a decline code = declined' });

export type FeedbackRequest = z.output<typeof feedbackRequest>;

/** A decline's free text, as the REST API takes it. */
export const reasonText = line(200);

export const feedbackResponse = z
  .object({
    // The REST API's decision, with the card it answers.
    feedback: z.array(decisionView.extend({ card: z.uuid() })),
  })
  .meta({
    id: 'CdsHooksFeedbackOutcome',
    description:
      'The decision each card’s feedback recorded (or had recorded before); a card overridden without a reason code records none and is not listed',
  });
