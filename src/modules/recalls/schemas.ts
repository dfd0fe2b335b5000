import { z } from 'zod';
import { cursorPage, dateTime, identifier, line, text } from '../../http/schemas.ts';
import { reasonCodes, recallCauses } from '../rules/index.ts';

export const recallStatuses = ['open', 'acknowledged'] as const;

export const recallListQuery = cursorPage.extend({
  status: z.enum(recallStatuses).optional().describe('open: not yet acknowledged'),
  hospitalId: identifier.optional().describe("Administrators: one recognising hospital's recalls"),
});

export const recallParams = z.object({ recallId: z.uuid() });

export const acknowledgement = z
  .object({
    acknowledgedBy: line(64).describe('Who at the hospital took note of the recall (a practitioner or staff id)'),
    note: text(2000).optional().describe('What the hospital did about it'),
  })
  .strict()
  .meta({ id: 'RecallAcknowledgement' });

export const recallRecognition = z.object({
  decisionId: z.string(),
  checkId: z.string(),
  itemCode: z.string().describe('The requested item the result was recognised for'),
  practitionerId: z.string(),
  clientId: z.string().describe('The client that recorded the recognition'),
  patientKey: z.string().describe("The check's pseudonymous patient key"),
  decidedAt: dateTime,
});

export const recall = z
  .object({
    recallId: z.string(),
    hospitalId: z.string().describe('The hospital that recognised the result and is recalled'),
    cause: z
      .enum(recallCauses)
      .describe(
        'amended: a new version changed its clinical content; withdrawn: it was cancelled or entered in error; ' +
          'certification: a suspension or revocation recorded since makes it no longer recognisable',
      ),
    result: z.object({
      resultId: z.string(),
      issuingHospitalId: z.string(),
      accessionNo: z.string(),
      itemCode: z.string(),
      version: z.number().int().nullable().describe('The version that caused the recall (null for certification)'),
    }),
    changedFields: z.array(z.string()).describe('The content fields the new version changed'),
    reasons: z.array(z.enum(reasonCodes)).describe('Why the result is no longer recognisable, where it is not'),
    certificationEventId: z.number().int().nullable(),
    recognitions: z.array(recallRecognition).describe('Every recognition of the result by this hospital within the horizon'),
    createdAt: dateTime,
    acknowledgement: z
      .object({ acknowledgedAt: dateTime, acknowledgedBy: z.string(), clientId: z.string(), note: z.string().nullable() })
      .nullable(),
  })
  .meta({ id: 'Recall' });
export type RecallView = z.output<typeof recall>;

export const recallPage = z.object({ recalls: z.array(recall), nextCursor: z.string().nullable() });

/** What a webhook carries for a new recall: the recall, and where to read more. */
export const recallEvent = z
  .object({
    type: z.literal('recall.created'),
    timestamp: z.string().describe('When the recall was made (ISO 8601); the same on every retry'),
    data: recall.extend({
      links: z.object({ recall: z.string(), history: z.string() }).describe('Paths on this exchange'),
    }),
  })
  .meta({ id: 'RecallCreatedEvent' });
