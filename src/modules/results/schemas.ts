import { z } from 'zod';
import { cursor, dateTime, identifier, instant, line, patientIdentity, text, timestamp } from '../../http/schemas.ts';
import { reportStatuses } from '../rules/index.ts';
import { contentFields } from './submission.ts';

/** The issuing hospital's accession number: unique per hospital, travels in the URL path. */
export const accessionNo = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
    'must be 1-64 letters, digits, dot, underscore, colon or hyphen, starting with a letter or digit',
  )
  .describe("The issuing hospital's accession number, unique per hospital");

export const resultKinds = ['data', 'images', 'conclusion'] as const;
export type ResultKind = (typeof resultKinds)[number];

export const maxBatchSize = 1000;
/** A search page: at most this many results, and it stops early once its free text and values pass the byte budget. */
export const maxSearchPage = 100;
export const searchPageBytes = 2 * 1024 * 1024;

const analyte = z.strictObject({
  code: identifier.describe('Analyte code, unique within the result'),
  value: z.union([z.number(), line(200)]),
  unit: line(32).optional(),
  referenceRange: line(100).optional(),
  flag: line(16).optional().describe('Abnormal flag, e.g. H, L, HH, LL, A'),
});

/** Equipment attributes: a few known ones, and up to 32 further flat ones (no nesting, bounded text). */
export const maxEquipmentAttributes = 32;
const equipment = z
  .object({
    sliceCount: z.number().int().positive().max(10_000).optional().describe('CT detector rows'),
    thinSlice: z.boolean().optional(),
    model: line(200).optional(),
  })
  .catchall(z.union([line(200), z.number(), z.boolean()]))
  .superRefine((value, ctx) => {
    const keys = Object.keys(value);
    if (keys.length > maxEquipmentAttributes) ctx.addIssue({ code: 'custom', message: `at most ${maxEquipmentAttributes} attributes` });
    for (const key of keys) {
      if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(key))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'attribute names are 1-32 letters, digits or underscores, starting with a letter',
        });
    }
  })
  .meta({ maxProperties: maxEquipmentAttributes, propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$' } })
  .describe('Equipment attributes; further flat attributes (text, number or boolean) are kept as given');

/** The fields of one submission (PUT body, and a batch item without its accessionNo). */
const submissionShape = {
  patient: patientIdentity,
  itemCode: identifier.optional().describe('The recognition code of the catalogue item; give this or localCode'),
  localCode: identifier.optional().describe("The hospital's local code, mapped to a catalogue item; give this or itemCode"),
  performedAt: instant.describe('Specimen collection or image acquisition; not in the future'),
  reportedAt: instant.optional().describe('Not before performedAt'),
  status: z.enum(reportStatuses).describe('FHIR DiagnosticReport.status'),
  kind: z
    .enum(resultKinds)
    .optional()
    .describe('Default: images for imaging categories (xray, ct, mri, ultrasound, nuclear), data otherwise'),
  imagesAvailable: z.boolean().optional().describe('Omitted: images count as retrievable when studyUid is present'),
  studyUid: line(128).optional().describe('DICOM Study Instance UID'),
  criticalOpen: z.boolean().optional().describe('An open (unresolved) critical value; default false'),
  equipment: equipment.optional(),
  analytes: z.array(analyte).max(500).optional(),
  findings: text(20_000).optional(),
};

interface SubmissionFields {
  itemCode?: string;
  localCode?: string;
  performedAt: Date;
  reportedAt?: Date;
  analytes?: { code: string }[];
}

/**
 * Cross-field rules zod can express; rules needing the clock or the database live in the service.
 * Zod runs them even when a field already failed, so each rule checks that its inputs parsed.
 */
function crossFieldRules(value: SubmissionFields, ctx: z.RefinementCtx) {
  if ((value.itemCode === undefined) === (value.localCode === undefined)) {
    const field = value.itemCode === undefined ? 'itemCode' : 'localCode';
    ctx.addIssue({ code: 'custom', path: [field], message: 'give exactly one of itemCode or localCode' });
  }
  const { performedAt, reportedAt } = value as { performedAt: unknown; reportedAt?: unknown };
  if (performedAt instanceof Date && reportedAt instanceof Date && reportedAt.getTime() < performedAt.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['reportedAt'], message: 'must not be before performedAt' });
  }
  const analytes: unknown = value.analytes;
  if (!Array.isArray(analytes)) return;
  const seen = new Set<string>();
  analytes.forEach((a: { code?: unknown } | null, index) => {
    const code = a?.code;
    if (typeof code !== 'string') return;
    if (seen.has(code)) ctx.addIssue({ code: 'custom', path: ['analytes', index, 'code'], message: `duplicate analyte code ${code}` });
    seen.add(code);
  });
}

export const resultSubmission = z
  .strictObject(submissionShape)
  .superRefine(crossFieldRules)
  .meta({ id: 'ResultSubmission', description: 'One exam result as the issuing hospital submits it' });
export type ResultSubmission = z.output<typeof resultSubmission>;

export const batchResultItem = z
  .strictObject({ accessionNo, ...submissionShape })
  .superRefine(crossFieldRules)
  .meta({ id: 'BatchResultItem', description: 'A ResultSubmission with its accessionNo' });
export type BatchResultItem = z.output<typeof batchResultItem>;

export const accessionParams = z.object({ accessionNo });

// Items are validated one by one in the service so that one bad item never rejects the others;
// the route accepts any array of 1..1000 and the docs point at BatchResultItem.
export const batchRequest = z
  .object({
    results: z
      .array(
        z.unknown().meta({
          description: 'A BatchResultItem. Each item is validated on its own; an invalid item is answered as rejected.',
          allOf: [{ $ref: '#/components/schemas/BatchResultItemInput' }],
        }),
      )
      .min(1)
      .max(maxBatchSize),
  })
  .meta({ id: 'ResultBatch' });

export const searchRequest = z
  .strictObject({
    patient: patientIdentity,
    practitionerId: identifier.describe('The doctor on whose behalf the hospital asks'),
    purpose: line(64).describe('Purpose of use: must be "treatment"; anything else is refused with 403'),
    itemCodes: z.array(identifier).min(1).max(100).optional().describe('Only these catalogue items'),
    since: instant.optional().describe('Only results performed at or after this instant'),
    limit: z.number().int().min(1).max(maxSearchPage).default(50).describe('At most this many results on the page'),
    cursor: cursor.optional(),
  })
  .meta({ id: 'ResultSearch' });
export type ResultSearch = z.output<typeof searchRequest>;

// Responses. Dates are serialised as ISO 8601 UTC strings.
const analyteOut = z.object({
  code: z.string(),
  value: z.union([z.number(), z.string()]),
  unit: z.string().optional(),
  referenceRange: z.string().optional(),
  flag: z.string().optional(),
});

const resultContent = {
  itemCode: z.string(),
  performedAt: dateTime,
  reportedAt: dateTime.nullable(),
  status: z.enum(reportStatuses),
  kind: z.enum(resultKinds),
  imagesAvailable: z.boolean().nullable(),
  studyUid: z.string().nullable(),
  criticalOpen: z.boolean(),
  equipment: z.record(z.string(), z.unknown()).nullable(),
  analytes: z.array(analyteOut).nullable(),
  findings: z.string().nullable(),
  version: z.number().int().describe('1 on creation, incremented by every amendment'),
};

export const storedResult = z
  .object({
    resultId: z.string(),
    accessionNo: z.string(),
    issuingHospitalId: z.string(),
    localCode: z.string().nullable(),
    ...resultContent,
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .meta({ id: 'StoredResult' });
export type StoredResult = z.output<typeof storedResult>;

export const submissionOutcomes = ['created', 'updated', 'unchanged'] as const;
export type SubmissionOutcome = (typeof submissionOutcomes)[number];

export const submissionResponse = storedResult
  .extend({
    outcome: z
      .enum(submissionOutcomes)
      .describe('created (201); updated = an amendment, the previous version kept; unchanged = nothing written'),
  })
  .meta({ id: 'ResultSubmissionOutcome' });

const itemProblem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.literal(400),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })),
});

export const batchResponse = z
  .object({
    results: z.array(
      z.object({
        index: z.number().int(),
        accessionNo: z.string().nullable().describe('null when the item carried no valid accessionNo'),
        outcome: z.enum([...submissionOutcomes, 'rejected']),
        resultId: z.string().optional(),
        version: z.number().int().optional().describe("The result's version after this submission (absent when rejected)"),
        problem: itemProblem.optional().describe('Why the item was rejected; field paths are relative to the item'),
      }),
    ),
  })
  .meta({ id: 'ResultBatchOutcome' });
export type BatchResponse = z.output<typeof batchResponse>;

export const searchResult = z
  .object({
    resultId: z.string(),
    accessionNo: z.string(),
    issuingHospital: z.object({ id: z.string(), name: z.string(), tier: z.string(), city: z.string() }),
    itemName: z.string(),
    category: z.string(),
    ...resultContent,
  })
  .meta({ id: 'IndexedResult' });
export type SearchResult = z.output<typeof searchResult>;

export const searchResponse = z
  .object({
    results: z.array(searchResult),
    nextCursor: z.string().nullable().describe('Pass as cursor, with the same search, for the next (older) page; null on the last page'),
  })
  .meta({ id: 'ResultSearchAnswer' });

export const historyQuery = z.object({
  issuer: identifier
    .optional()
    .describe(
      "The issuing hospital: required of administrators and of hospitals reading a result they recognised; omitted, the caller's own",
    ),
});

export const resultHistory = z
  .object({
    resultId: z.string(),
    accessionNo: z.string(),
    issuingHospitalId: z.string(),
    currentVersion: z.number().int(),
    versions: z
      .array(
        z.object({
          version: z.number().int(),
          recordedAt: timestamp.describe('When the exchange stored this version'),
          recordedBy: z.string().describe('The client that submitted it'),
          status: z.enum(reportStatuses),
          changedFields: z
            .array(z.enum(contentFields))
            .describe('The content fields that differ from the version before (empty for the first); localCode alone is bookkeeping'),
        }),
      )
      .describe('Oldest first'),
  })
  .meta({ id: 'ResultHistory' });
