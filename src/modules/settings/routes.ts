import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { problemResponses } from '../../http/schemas.ts';
import { ruleSettings, ruleSettingsChange } from './schemas.ts';
import type { SettingsService } from './service.ts';

const tags = ['settings'];

export const settingsRoutes: FastifyPluginAsyncZod<{ settings: SettingsService }> = async (app, { settings }) => {
  app.get('/v1/settings/rules', {
    config: { scopes: ['any'] },
    schema: {
      operationId: 'getRuleSettings',
      tags,
      summary: 'The rule settings in force',
      response: { 200: ruleSettings, ...problemResponses },
    },
    handler: async () => settings.current(),
  });

  app.put('/v1/settings/rules', {
    config: { scopes: ['admin'] },
    schema: {
      operationId: 'putRuleSettings',
      tags,
      summary: 'Change rule settings (creates a new rule-set version)',
      description: 'Changes only the fields named. Item windows and the negative list are catalogue data (PUT /v1/items/{itemCode}).',
      body: ruleSettingsChange,
      response: { 200: ruleSettings, ...problemResponses },
    },
    handler: async (request) => settings.change(request.actor, request.body),
  });
};
