import { z } from 'zod';
import { cursor, identifier, instant, line, timestamp } from '../../http/schemas.ts';
import { categories, certificationStatuses, scopeLevels, tiers } from '../rules/index.ts';

const priceTier = z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'must be 1-16 letters, digits, underscore or hyphen');
const place = line(100);

export const hospitalParams = z.object({ hospitalId: identifier });

export const hospitalBody = z
  .object({
    name: line(200),
    tier: z.enum(tiers),
    grade: z.enum(['A', 'B', 'C']).optional(),
    province: place,
    city: place,
    county: place.optional(),
    priceTier: priceTier.optional().describe('The price tier the hospital charges at; omitted: priced at the lowest listed price'),
  })
  .strict()
  .meta({ id: 'HospitalDefinition' });

export const hospital = z
  .object({
    id: z.string(),
    name: z.string(),
    tier: z.enum(tiers),
    grade: z.enum(['A', 'B', 'C']).nullable(),
    province: z.string(),
    city: z.string(),
    county: z.string().nullable(),
    priceTier: z.string().nullable(),
    memberships: z.array(z.string()).describe('Consortium and alliance scopes listing this hospital'),
    updatedAt: timestamp,
  })
  .meta({ id: 'Hospital' });

export const hospitalQuery = z.object({
  province: place.optional(),
  city: place.optional(),
  tier: z.enum(tiers).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: cursor.optional(),
});

export const hospitalPage = z.object({ hospitals: z.array(hospital), nextCursor: z.string().nullable() }).meta({ id: 'HospitalPage' });

export const scopeParams = z.object({ scopeId: identifier });

export const scopeBody = z
  .object({
    level: z.enum(scopeLevels),
    name: line(200),
    region: place.optional().describe('The city (level city) or province (level province) a hospital must be located in'),
    province: place.optional().describe('For a city scope: the province of that city (city names repeat across provinces)'),
    members: z
      .array(identifier)
      .min(1)
      .max(5000)
      .optional()
      .describe('Hospital ids (consortium, alliance): both issuer and receiver must be members'),
    items: z.array(identifier).min(1).max(5000).optional().describe('Item codes recognised in this scope; omitted: every catalogue item'),
  })
  .strict()
  .superRefine((scope, ctx) => {
    const needsRegion = scope.level === 'city' || scope.level === 'province';
    const needsMembers = scope.level === 'consortium' || scope.level === 'alliance';
    if (needsRegion && !scope.region) ctx.addIssue({ code: 'custom', path: ['region'], message: `is required for a ${scope.level} scope` });
    if (!needsRegion && scope.region) ctx.addIssue({ code: 'custom', path: ['region'], message: `is only for city and province scopes` });
    if (scope.level !== 'city' && scope.province) ctx.addIssue({ code: 'custom', path: ['province'], message: 'is only for city scopes' });
    if (needsMembers && !scope.members)
      ctx.addIssue({ code: 'custom', path: ['members'], message: `are required for a ${scope.level} scope` });
    if (!needsMembers && scope.members)
      ctx.addIssue({ code: 'custom', path: ['members'], message: 'are only for consortium and alliance scopes' });
  })
  .meta({ id: 'ScopeDefinition' });

export const scope = z
  .object({
    id: z.string(),
    level: z.enum(scopeLevels),
    name: z.string(),
    region: z.string().nullable(),
    province: z.string().nullable(),
    members: z.array(z.string()).nullable(),
    items: z.array(z.string()).nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: 'Scope' });

export const itemParams = z.object({ itemCode: identifier });

const distinct = (codes: string[]) => new Set(codes).size === codes.length;

/** LOINC's check digit: the mod-10 (Luhn) digit of the number before the hyphen. */
export function loincCheckDigitHolds(code: string): boolean {
  const [number, check] = code.split('-');
  let sum = 0;
  [...number].reverse().forEach((digit, i) => {
    const doubled = Number(digit) * (i % 2 === 0 ? 2 : 1);
    sum += doubled > 9 ? doubled - 9 : doubled;
  });
  return (10 - (sum % 10)) % 10 === Number(check);
}

export const itemBody = z
  .object({
    name: line(200),
    nameZh: line(200).optional(),
    category: z.enum(categories),
    validityDays: z.number().int().min(1).max(3650),
    negativeList: z.boolean().optional().describe('Never recognised (results that change too fast)'),
    analytes: z
      .array(z.string().regex(/^[A-Za-z0-9._-]{1,32}$/))
      .min(1)
      .max(200)
      .refine(distinct, 'lists a code twice')
      .optional()
      .describe('Lab analyte codes the item reports'),
    prices: z
      .record(priceTier, z.number().nonnegative().max(1_000_000))
      .refine((p) => Object.keys(p).length > 0, 'needs at least one price tier'),
    minutesSaved: z.number().int().min(0).max(10_000),
    radiationMsv: z.number().nonnegative().max(1000).optional(),
    // A code listed twice would name the item twice, and a code no one item lists alone names none (itemForCodings).
    loinc: z
      .array(
        z
          .string()
          .regex(/^\d{1,7}-\d$/, 'must be a LOINC code like 4548-4')
          .refine(loincCheckDigitHolds, 'has a wrong check digit'),
      )
      .max(50)
      .refine(distinct, 'lists a code twice')
      .optional(),
  })
  .strict()
  .meta({ id: 'ItemDefinition' });

export const item = z
  .object({
    code: z.string(),
    name: z.string(),
    nameZh: z.string().nullable(),
    category: z.enum(categories),
    validityDays: z.number().int(),
    negativeList: z.boolean(),
    analytes: z.array(z.string()).nullable(),
    prices: z.record(z.string(), z.number()),
    minutesSaved: z.number().int(),
    radiationMsv: z.number().nullable(),
    loinc: z.array(z.string()).nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: 'Item' });

export const itemQuery = z.object({ category: z.enum(categories).optional() });

export const codeMapParams = z.object({ hospitalId: identifier, localCode: identifier });
export const codeMapBody = z.object({ itemCode: identifier }).strict().meta({ id: 'CodeMapTarget' });
export const codeMapEntry = z.object({ hospitalId: z.string(), localCode: z.string(), itemCode: z.string() }).meta({ id: 'CodeMapEntry' });

export const certificationBody = z
  .object({
    itemCode: identifier.optional(),
    category: z.enum(categories).optional(),
    scopeId: identifier,
    status: z.enum(certificationStatuses),
    effectiveFrom: instant,
    note: line(500).optional(),
  })
  .strict()
  .refine((c) => !(c.itemCode && c.category), { path: ['category'], message: 'give itemCode or category, not both' })
  .meta({ id: 'CertificationEventDraft', description: 'Neither itemCode nor category: the event covers every item' });

export const certificationEvent = z
  .object({
    id: z.number().int(),
    hospitalId: z.string(),
    itemCode: z.string().nullable(),
    category: z.enum(categories).nullable(),
    scopeId: z.string(),
    status: z.enum(certificationStatuses),
    effectiveFrom: timestamp,
    note: z.string().nullable(),
    recordedAt: timestamp,
    recordedBy: z.string(),
  })
  .meta({ id: 'CertificationEvent' });

export const certificationTimeline = z
  .object({
    hospitalId: z.string(),
    timeline: z.array(certificationEvent).describe('Every event, by effectiveFrom then recordedAt'),
    current: z
      .array(
        z.object({
          scopeId: z.string(),
          itemCode: z.string().nullable(),
          category: z.enum(categories).nullable(),
          status: z.enum(certificationStatuses).nullable().describe('null: the first event is not yet effective'),
        }),
      )
      .describe('The status now of each (scope, coverage) the timeline names'),
  })
  .meta({ id: 'CertificationTimeline' });
