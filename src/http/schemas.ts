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
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('Validation failures, with dot-notation paths'),
  })
  .passthrough()
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/**
 * Text a person reads. Refused anywhere: C0 and C1 control characters (a multi-line text allows tab,
 * line feed and carriage return), bidirectional marks, embeddings, overrides and isolates, zero-width
 * characters and the byte-order mark, which hide or reorder what a reader sees; and lone UTF-16
 * surrogates, which UTF-8 (and so PostgreSQL) cannot store. The pattern shows in OpenAPI.
 */
const hidden = '\\u061C\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF';
const linePattern = new RegExp(`^[^\\u0000-\\u001F\\u007F-\\u009F${hidden}]*$`);
const textPattern = new RegExp(`^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F${hidden}]*$`);
const wellFormed = (value: string) => value.isWellFormed();
const unstorable = 'must not contain a lone UTF-16 surrogate';

/** One line of text of at most `max` characters, trimmed, not empty. */
export const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(linePattern, 'must not contain control, zero-width or bidirectional-override characters')
    .refine(wellFormed, unstorable);

/** Free text of at most `max` characters, which may span lines (tab, LF, CR). */
export const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(textPattern, 'must not contain control (other than tab and line breaks), zero-width or bidirectional-override characters')
    .refine(wellFormed, unstorable);

/** An opaque cursor this service issued (base64url). */
export const cursor = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]*$/, 'is not a cursor this service issued')
  .describe('The nextCursor of the previous page');

/** ISO 8601 date-time with an explicit offset (Z or ±hh:mm), parsed to a Date. */
export const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-30T09:30:00+08:00' })
  .refine((value) => {
    const year = new Date(value).getUTCFullYear();
    return year >= 1900 && year <= 9999;
  }, 'must lie between the years 1900 and 9999')
  .transform((value) => new Date(value));

/** A UUID in any case, as z.uuid() takes it: for ids read from cursors and paths, before the database reads them as uuid. */
export const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Registry identifiers: hospitals, scopes, items, local codes, clients. */
export const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dot, underscore or hyphen, starting with a letter or digit');

/** The days the service reports on; a date outside them is refused rather than computed with. */
export const firstCalendarDate = '2000-01-01';
export const lastCalendarDate = '2199-12-31';
export const calendarDate = z.iso
  .date({ message: 'must be a date YYYY-MM-DD' })
  .refine((day) => day >= firstCalendarDate && day <= lastCalendarDate, `must lie between ${firstCalendarDate} and ${lastCalendarDate}`);

export const cursorPage = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: cursor.optional(),
});

export const patientIdentity = z
  .object({
    idType: z.enum(['resident_id', 'passport', 'other']),
    idNumber: line(64),
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

/** A Date in a response, serialised as an ISO 8601 UTC date-time (so documented). */
export const dateTime = z.date().meta({ type: 'string', format: 'date-time' });
