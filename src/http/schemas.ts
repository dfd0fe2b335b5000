import { z } from 'zod';

/** Schemas shared by several modules. Named ones become OpenAPI components. */

export const problemSchema = z
  .object({
    type: z.string().describe('A stable URI naming the kind of problem'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('Validation failures, with dot-notation paths'),
  })
  .passthrough()
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** ISO 8601 date-time with an explicit offset (Z or ±hh:mm), parsed to a Date. */
export const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-30T09:30:00+08:00' })
  .refine((value) => {
    const year = new Date(value).getUTCFullYear();
    return year >= 1900 && year <= 9999;
  }, 'must lie between the years 1900 and 9999')
  .transform((value) => new Date(value));

/** Registry identifiers: hospitals, scopes, items, local codes, clients. */
export const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dot, underscore or hyphen, starting with a letter or digit');

export const calendarDate = z.iso.date({ message: 'must be a date YYYY-MM-DD' });

export const cursorPage = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional().describe('The nextCursor of the previous page'),
});

export const patientIdentity = z
  .object({
    idType: z.enum(['resident_id', 'passport', 'other']),
    idNumber: z.string().min(1).max(64),
  })
  .meta({ id: 'PatientIdentity', description: 'Travels only in request bodies; stored only as a keyed HMAC' });

export const problemResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
};

/** A timestamp in a response: ISO 8601, UTC. */
export const timestamp = z.iso.datetime();
