import { z } from 'zod';
import { timestamp } from '../../http/schemas.ts';
import { tierPolicies } from '../rules/index.ts';

export const ruleSettings = z
  .object({
    version: z.number().int().describe('Every change creates a new version; each decision records the version it was made under'),
    tierDirection: z
      .enum(tierPolicies)
      .describe(
        'symmetric: every direction; downward-only-outside-city: a higher-tier receiver reuses a lower-tier result only within one city',
      ),
    lookbackDays: z.number().int().describe('How far back candidates are searched'),
    createdAt: timestamp,
    createdBy: z.string(),
  })
  .meta({ id: 'RuleSettings' });

export const ruleSettingsChange = z
  .object({
    tierDirection: z.enum(tierPolicies).optional(),
    lookbackDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict()
  .refine((c) => c.tierDirection !== undefined || c.lookbackDays !== undefined, 'name at least one setting to change')
  .meta({ id: 'RuleSettingsChange' });
export type RuleSettingsChange = z.output<typeof ruleSettingsChange>;
