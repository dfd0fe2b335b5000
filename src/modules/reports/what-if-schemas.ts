import { z } from 'zod';
import { calendarDate, identifier } from '../../http/schemas.ts';
import { tierPolicies } from '../rules/index.ts';

export const whatIfRequest = z
  .object({
    from: calendarDate.describe('First Asia/Shanghai day of the checks to replay'),
    to: calendarDate.describe('Last day, inclusive (at most 366 days after from)'),
    draft: z
      .object({
        tierDirection: z.enum(tierPolicies).optional(),
        items: z
          .record(
            identifier,
            z.object({ validityDays: z.number().int().min(1).max(3650).optional(), negativeList: z.boolean().optional() }).strict(),
          )
          .optional()
          .describe('Per item code: a changed window or negative-list membership'),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'WhatIfRequest' });

const outcome = z.object({
  recognizableCandidates: z.number().int(),
  checkItemsWithRecognizable: z.number().int(),
});

const potential = z.object({
  recognizableCandidates: z.number().int(),
  checkItemsWithRecognizable: z.number().int(),
  yuan: z.number().describe('Potential savings of the check items that gain (or, negative, lose) a recognisable candidate'),
  minutes: z.number(),
  radiationMsv: z.number(),
});

export const whatIfReport = z
  .object({
    from: z.string(),
    to: z.string(),
    ruleSetVersion: z.number().int().describe('The settings the draft is compared with'),
    checks: z.number().int(),
    checkItems: z.number().int(),
    candidates: z.number().int(),
    current: outcome,
    draft: outcome,
    delta: potential,
    byItem: z.array(potential.extend({ itemCode: z.string(), name: z.string() })),
  })
  .meta({ id: 'WhatIfReport' });
