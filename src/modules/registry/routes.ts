import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { problemResponses } from '../../http/schemas.ts';
import { assertHospital } from '../auth/index.ts';
import * as s from './schemas.ts';
import type { RegistryService } from './service.ts';

const admin = { scopes: ['admin'] } as const;
const anyClient = { scopes: ['any'] } as const;
const tags = ['registry'];

/** The registry: reads for every authenticated client, writes for administrators. */
export const registryRoutes: FastifyPluginAsyncZod<{ registry: RegistryService }> = async (app, { registry }) => {
  app.put('/v1/hospitals/:hospitalId', {
    config: admin,
    schema: {
      operationId: 'putHospital',
      tags,
      summary: 'Register or update a hospital',
      params: s.hospitalParams,
      body: s.hospitalBody,
      response: { 200: s.hospital, 201: s.hospital, ...problemResponses },
    },
    handler: async (request, reply) => {
      const { created, hospital } = await registry.putHospital(request.params.hospitalId, request.body);
      return reply.status(created ? 201 : 200).send(hospital);
    },
  });

  app.get('/v1/hospitals', {
    config: anyClient,
    schema: {
      operationId: 'listHospitals',
      tags,
      summary: 'List hospitals (filter by province, city, tier; cursor pagination)',
      querystring: s.hospitalQuery,
      response: { 200: s.hospitalPage, ...problemResponses },
    },
    handler: async (request) => registry.listHospitals(request.query),
  });

  app.get('/v1/hospitals/:hospitalId', {
    config: anyClient,
    schema: {
      operationId: 'getHospital',
      tags,
      summary: 'One hospital',
      params: s.hospitalParams,
      response: { 200: s.hospital, ...problemResponses },
    },
    handler: async (request) => registry.getHospital(request.params.hospitalId),
  });

  app.put('/v1/scopes/:scopeId', {
    config: admin,
    schema: {
      operationId: 'putScope',
      tags,
      summary: 'Define or update a recognition scope',
      description:
        'Levels, narrowest first: consortium, city, province, alliance, national. City and province scopes contain the hospitals located in `region`; consortium and alliance scopes contain their `members`. A scope applies to a result when both the issuer and the receiver are inside it. `items` limits the scope to those item codes.',
      params: s.scopeParams,
      body: s.scopeBody,
      response: { 200: s.scope, 201: s.scope, ...problemResponses },
    },
    handler: async (request, reply) => {
      const { created, scope } = await registry.putScope(request.params.scopeId, request.body);
      return reply.status(created ? 201 : 200).send(scope);
    },
  });

  app.get('/v1/scopes', {
    config: anyClient,
    schema: {
      operationId: 'listScopes',
      tags,
      summary: 'Every recognition scope',
      response: { 200: z.object({ scopes: z.array(s.scope) }), ...problemResponses },
    },
    handler: async () => registry.listScopes(),
  });

  app.get('/v1/scopes/:scopeId', {
    config: anyClient,
    schema: {
      operationId: 'getScope',
      tags,
      summary: 'One recognition scope',
      params: s.scopeParams,
      response: { 200: s.scope, ...problemResponses },
    },
    handler: async (request) => registry.getScope(request.params.scopeId),
  });

  app.put('/v1/items/:itemCode', {
    config: admin,
    schema: {
      operationId: 'putItem',
      tags,
      summary: 'Add or update a catalogue item',
      description:
        'validityDays is the recognition window from performedAt; negativeList items are never recognised; prices are yuan per price tier.',
      params: s.itemParams,
      body: s.itemBody,
      response: { 200: s.item, 201: s.item, ...problemResponses },
    },
    handler: async (request, reply) => {
      const { created, item } = await registry.putItem(request.params.itemCode, request.body);
      return reply.status(created ? 201 : 200).send(item);
    },
  });

  app.get('/v1/items', {
    config: anyClient,
    schema: {
      operationId: 'listItems',
      tags,
      summary: 'The exam-item catalogue',
      querystring: s.itemQuery,
      response: { 200: z.object({ items: z.array(s.item) }), ...problemResponses },
    },
    handler: async (request) => registry.listItems(request.query.category),
  });

  app.get('/v1/items/:itemCode', {
    config: anyClient,
    schema: {
      operationId: 'getItem',
      tags,
      summary: 'One catalogue item',
      params: s.itemParams,
      response: { 200: s.item, ...problemResponses },
    },
    handler: async (request) => registry.getItem(request.params.itemCode),
  });

  app.put('/v1/hospitals/:hospitalId/code-map/:localCode', {
    // The hospital that submits results under its local codes keeps their map; administrators any hospital's.
    config: { scopes: ['admin', 'results:write'] },
    schema: {
      operationId: 'putCodeMapEntry',
      tags,
      summary: "Map a hospital's local code to a catalogue item (administrators, or the hospital itself)",
      params: s.codeMapParams,
      body: s.codeMapBody,
      response: { 200: s.codeMapEntry, 201: s.codeMapEntry, ...problemResponses },
    },
    handler: async (request, reply) => {
      const { hospitalId, localCode } = request.params;
      assertHospital(request.actor, hospitalId);
      const { created, entry } = await registry.putCodeMap(hospitalId, localCode, request.body.itemCode);
      return reply.status(created ? 201 : 200).send(entry);
    },
  });

  app.get('/v1/hospitals/:hospitalId/code-map', {
    config: anyClient,
    schema: {
      operationId: 'listCodeMap',
      tags,
      summary: "A hospital's local code map (administrators, or the hospital itself)",
      params: s.hospitalParams,
      response: { 200: z.object({ entries: z.array(s.codeMapEntry) }), ...problemResponses },
    },
    handler: async (request) => {
      assertHospital(request.actor, request.params.hospitalId);
      return registry.listCodeMap(request.params.hospitalId);
    },
  });

  app.post('/v1/hospitals/:hospitalId/certifications', {
    config: admin,
    schema: {
      operationId: 'addCertificationEvent',
      tags,
      summary: "Append an event to a hospital's certification timeline",
      description:
        'The status of (hospital, item, scope) at time t is the latest event effective at or before t among the events covering the item: ' +
        'item-level, its category, or every item (neither itemCode nor category). On equal effectiveFrom the more specific event wins ' +
        '(item over category over every item), then the later recorded one. An event with an earlier effectiveFrom (a retroactive revocation) changes the past.',
      params: s.hospitalParams,
      body: s.certificationBody,
      response: { 201: s.certificationEvent, ...problemResponses },
    },
    handler: async (request, reply) => {
      const event = await registry.addCertification(request.params.hospitalId, request.body, request.actor.clientId);
      return reply.status(201).send(event);
    },
  });

  app.get('/v1/hospitals/:hospitalId/certifications', {
    config: anyClient,
    schema: {
      operationId: 'getCertificationTimeline',
      tags,
      summary: "A hospital's certification timeline and its status now",
      params: s.hospitalParams,
      response: { 200: s.certificationTimeline, ...problemResponses },
    },
    handler: async (request) => registry.certificationTimeline(request.params.hospitalId),
  });
};
