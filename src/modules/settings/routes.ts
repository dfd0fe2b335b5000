import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { problemResponses, timestamp } from '../../http/schemas.ts';
import { tierPolicies } from '../rules/codes.ts';
import { appendRuleSet, currentRuleSet, type StoredRuleSet } from './repository.ts';

const ruleSettings = z
  .object({
    version: z.number().int().describe('Every change creates a new version; each decision records the version it was made under'),
    tierDirection: z.enum(tierPolicies).describe('symmetric: every direction; downward-only-outside-city: a higher-tier receiver reuses a lower-tier result only within one city'),
    lookbackDays: z.number().int().describe('How far back candidates are searched'),
    createdAt: timestamp,
    createdBy: z.string(),
  })
  .meta({ id: 'RuleSettings' });

const ruleSettingsChange = z
  .object({
    tierDirection: z.enum(tierPolicies).optional(),
    lookbackDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict()
  .refine((c) => c.tierDirection !== undefined || c.lookbackDays !== undefined, 'name at least one setting to change')
  .meta({ id: 'RuleSettingsChange' });

const view = (rules: StoredRuleSet) => ({ ...rules, createdAt: rules.createdAt.toISOString() });

export const settingsRoutes: FastifyPluginAsyncZod<{ db: Database; clock: () => Date }> = async (app, { db, clock }) => {
  app.get('/v1/settings/rules', {
    config: { scopes: ['any'] },
    schema: { operationId: 'getRuleSettings', tags: ['settings'], summary: 'The rule settings in force', response: { 200: ruleSettings, ...problemResponses } },
    handler: async () => view(await currentRuleSet(db)),
  });

  app.put('/v1/settings/rules', {
    config: { scopes: ['admin'] },
    schema: {
      operationId: 'putRuleSettings', tags: ['settings'], summary: 'Change rule settings (creates a new rule-set version)',
      description: 'Changes only the fields named. Item windows and the negative list are catalogue data (PUT /v1/items/{itemCode}).',
      body: ruleSettingsChange, response: { 200: ruleSettings, ...problemResponses },
    },
    handler: async (request) =>
      view(await db.transaction().execute((trx) => appendRuleSet(trx, request.body, request.actor.clientId, clock()))),
  });
};
