import { z } from 'zod';
import { cursor, identifier, line } from '../../http/schemas.ts';

/** Entries per Bundle: up to 1000 reports with their observations, studies and patients. */
export const maxBundleEntries = 20_000;

const spec = (resource: string) => `http://hl7.org/fhir/R4/${resource.toLowerCase()}.html`;

/**
 * The envelope of a transaction or batch Bundle. Entries are read one by one by the service
 * (validated with Medplum's FHIR validator), so one bad entry of a batch never rejects the others.
 */
export const bundleRequest = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    type: z.enum(['transaction', 'batch']).describe('transaction: all or nothing; batch: entry by entry'),
    entry: z
      .array(
        z.looseObject({
          fullUrl: line(1000).optional(),
          resource: z.looseObject({ resourceType: z.string().regex(/^[A-Z][A-Za-z]{0,63}$/, 'is not a FHIR resource type') }).optional(),
          request: z
            .looseObject({
              method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']),
              url: line(2000),
              ifNoneExist: line(2000).optional(),
              ifMatch: line(200).optional(),
              ifModifiedSince: line(200).optional(),
              ifNoneMatch: line(200).optional(),
            })
            .optional(),
        }),
      )
      .max(maxBundleEntries)
      .optional(),
  })
  .meta({
    id: 'FhirTransactionBundle',
    description: `A FHIR R4 Bundle (${spec('Bundle')}) of type transaction or batch: DiagnosticReport, Observation, ImagingStudy and Patient entries`,
  });
export type BundleRequest = z.output<typeof bundleRequest>;

export const resource = (type: string) =>
  z.looseObject({ resourceType: z.literal(type) }).meta({ description: `A FHIR R4 ${type} (${spec(type)})` });

export const operationOutcome = z
  .looseObject({
    resourceType: z.literal('OperationOutcome'),
    issue: z
      .array(
        z.looseObject({
          severity: z.enum(['fatal', 'error', 'warning', 'information']),
          code: z.string(),
          details: z.looseObject({ text: z.string().optional() }).optional(),
          diagnostics: z.string().optional(),
          expression: z.array(z.string()).optional(),
        }),
      )
      .min(1),
  })
  .meta({ id: 'OperationOutcome', description: `A FHIR R4 OperationOutcome (${spec('OperationOutcome')})` });

export const responseBundle = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    type: z.enum(['transaction-response', 'batch-response']),
    entry: z.array(
      z.looseObject({
        response: z.looseObject({
          status: z.string().describe('201 Created, 200 OK, 400 Bad Request or 403 Forbidden'),
          location: z.string().optional().describe('DiagnosticReport/{id}/_history/{version} (ImagingStudy likewise)'),
          etag: z.string().optional(),
          outcome: operationOutcome.optional(),
        }),
      }),
    ),
  })
  .meta({ id: 'FhirResponseBundle', description: 'One response per request entry, in order' });

export const searchsetBundle = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    type: z.literal('searchset'),
    link: z.array(z.looseObject({ relation: z.enum(['self', 'next']), url: z.string() })),
    entry: z.array(
      z.looseObject({
        fullUrl: z.string(),
        resource: z.union([resource('DiagnosticReport'), resource('ImagingStudy'), operationOutcome]),
        search: z.looseObject({ mode: z.enum(['match', 'outcome']) }),
      }),
    ),
  })
  .meta({ id: 'FhirSearchsetBundle', description: 'Newest first; follow the next link for older results' });

export const capabilityStatement = z
  .looseObject({
    resourceType: z.literal('CapabilityStatement'),
    status: z.string(),
    date: z.string(),
    kind: z.literal('instance'),
    fhirVersion: z.literal('4.0.1'),
    format: z.array(z.string()),
    rest: z.array(z.looseObject({ mode: z.literal('server') })),
  })
  .meta({ id: 'CapabilityStatement', description: `A FHIR R4 CapabilityStatement (${spec('CapabilityStatement')})` });

/** Search parameters; unknown ones are ignored (FHIR's lenient handling) unless `Prefer: handling=strict`. */
const searchValue = z.union([line(2000), z.array(line(2000)).max(10)]);
const patientIdentifier = line(200).optional().describe('Required: <system>|<value>, e.g. urn:oid:2.16.156.10011.1.3|<resident ID>');
const dateValue = searchValue
  .optional()
  .describe('ge<date> or gt<date>: YYYY, YYYY-MM, YYYY-MM-DD (Asia/Shanghai days) or a date-time with offset');
const paging = {
  _count: z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be a whole number')
    .optional()
    .describe('Page size, 1-100 (default 50)'),
  _cursor: cursor.optional().describe('From the next link'),
};
export const reportSearch = z.looseObject({
  'patient.identifier': patientIdentifier,
  code: searchValue.optional().describe('<system>|<code>, <code> or |<code>; comma-separated for any of them'),
  date: dateValue,
  ...paging,
});
export const studySearch = z.looseObject({ 'patient.identifier': patientIdentifier, started: dateValue, ...paging });
export type SearchParameters = Record<string, string | string[] | undefined>;

/** A FHIR id; the service's are result ids (UUIDs), any other is answered 404. */
export const resourceId = z.object({
  resultId: z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'is not a FHIR id'),
});

export const practitionerHeaders = z.looseObject({
  'x-practitioner-id': identifier.describe('Required on searches and reads: the doctor on whose behalf the hospital asks (audited)'),
  prefer: line(200).optional().describe('handling=strict refuses unknown search parameters'),
});
