import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { boundedJsonParser } from '../../plugins/json-parser.ts';
import { problemErrorHandler } from '../../plugins/problem.ts';
import { smartConfigurationSchema } from '../auth/index.ts';
import { fhirContentType, operationOutcomeFor, writeOperationOutcome } from './outcome.ts';
import { readDocumentation } from './read.ts';
import {
  bundleRequest,
  type BundleRequest,
  capabilityStatement,
  operationOutcome,
  practitionerHeaders,
  reportSearch,
  resource,
  resourceId,
  responseBundle,
  searchsetBundle,
  studySearch,
  type SearchParameters,
} from './schemas.ts';
import type { SearchedType } from './search.ts';
import { fhirBasePath, type FhirService } from './service.ts';

const bundleBodyLimit = 16 * 1024 * 1024;
const fhir = { fhir: true, produces: 'application/fhir+json' } as const;
const errors = { 400: operationOutcome, 401: operationOutcome, 403: operationOutcome };

/**
 * The FHIR R4 API under /fhir/r4: its own JSON media type, and every error (a refused token
 * included) an OperationOutcome in application/fhir+json, 404 and 405 within the base too.
 */
const fhirApi: FastifyPluginAsyncZod<{ fhir: FhirService }> = async (app, { fhir: service }) => {
  app.setErrorHandler(problemErrorHandler(writeOperationOutcome));
  app.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, boundedJsonParser(app));
  await app.register(formbody);
  const methods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) methods.set(route.url, (methods.get(route.url) ?? new Set()).add(method));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = [...(methods.get(path) ?? [])].filter((m) => m !== 'HEAD');
    if (allowed.length > 0) reply.header('allow', allowed.join(', '));
    const [status, text] =
      allowed.length > 0
        ? [405, `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`]
        : [404, `No FHIR interaction at ${request.method} ${path}`];
    return writeOperationOutcome(
      request,
      reply,
      operationOutcomeFor(request, status, allowed.length > 0 ? 'method-not-allowed' : 'not-found', text),
    );
  });

  app.get('/metadata', {
    config: fhir,
    schema: {
      operationId: 'getFhirCapabilities',
      tags: ['fhir'],
      summary: 'The FHIR CapabilityStatement: exactly the interactions and search parameters supported',
      response: { 200: capabilityStatement },
    },
    handler: async (_request, reply) => reply.type(fhirContentType).send(service.capabilities as z.input<typeof capabilityStatement>),
  });

  app.get('/.well-known/smart-configuration', {
    config: { fhir: true },
    schema: {
      operationId: 'getFhirSmartConfiguration',
      tags: ['fhir'],
      summary: 'SMART Backend Services discovery for this FHIR base',
      response: { 200: smartConfigurationSchema },
    },
    handler: async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').send(service.smartConfiguration),
  });

  // POST [base], and [base]/ as many clients send it (the same route, left out of the OpenAPI document).
  const bundleRoute = {
    config: { scopes: ['results:write'], ...fhir },
    bodyLimit: bundleBodyLimit,
    schema: {
      operationId: 'postFhirBundle',
      tags: ['fhir'],
      summary: 'Submit results as a FHIR transaction or batch Bundle',
      description:
        'DiagnosticReports (the accession number as identifier, typed ACSN when several), with their Observations (contained or entries) ' +
        'and ImagingStudy, and the Patient (resident ID or passport identifier). Each report becomes a result through the same submission as ' +
        'POST /v1/results/batch: a resubmission is 200 unchanged, a changed one (amended, corrected, entered-in-error) a new version. ' +
        'A transaction is all or nothing (400 OperationOutcome naming every refused entry); a batch answers each entry. Bodies up to 16 MiB.',
      consumes: ['application/fhir+json', 'application/json'],
      body: bundleRequest,
      response: { 200: responseBundle, ...errors, 413: operationOutcome },
    },
  } as const;
  const submitBundle = async (request: FastifyRequest<{ Body: BundleRequest }>, reply: FastifyReply) => {
    const answer = await service.transact(request.actor, request.body);
    return reply.type(fhirContentType).send(answer as z.input<typeof responseBundle>);
  };
  app.post('/', { ...bundleRoute, prefixTrailingSlash: 'no-slash', handler: submitBundle });
  app.post('/', { ...bundleRoute, prefixTrailingSlash: 'slash', schema: { ...bundleRoute.schema, hide: true }, handler: submitBundle });

  for (const type of ['DiagnosticReport', 'ImagingStudy'] as const) {
    const query = type === 'DiagnosticReport' ? reportSearch : studySearch;
    const search = async (request: FastifyRequest, reply: FastifyReply, parameters: SearchParameters) => {
      const { 'x-practitioner-id': practitionerId, prefer } = request.headers as { 'x-practitioner-id': string; prefer?: string };
      const strict = /handling\s*=\s*strict/i.test(prefer ?? '');
      const bundle = await service.search(request.actor, type, parameters, practitionerId, strict);
      return reply.type(fhirContentType).send(bundle as z.input<typeof searchsetBundle>);
    };
    const common = {
      tags: ['fhir'],
      description: searchDescription(type),
      headers: practitionerHeaders,
      response: { 200: searchsetBundle, ...errors },
    };
    const config = { scopes: ['results:read'], audit: 'results.search', ...fhir } as const;
    app.get(`/${type}`, {
      config,
      schema: { ...common, operationId: `search${type}`, summary: `A patient's prior results as ${type} (audited)`, querystring: query },
      handler: async (request, reply) => search(request, reply, request.query as SearchParameters),
    });
    app.post(`/${type}/_search`, {
      config,
      schema: {
        ...common,
        operationId: `search${type}ByPost`,
        summary: 'The same search with its parameters in a form body, out of the URL',
        consumes: ['application/x-www-form-urlencoded'],
        body: query,
      },
      handler: async (request, reply) =>
        search(request, reply, { ...(request.query as SearchParameters), ...(request.body as SearchParameters) }),
    });
    app.get(`/${type}/:resultId`, {
      config: { scopes: ['results:read'], audit: 'results.read', ...fhir },
      schema: {
        operationId: `read${type}`,
        tags: ['fhir'],
        summary: `One result as ${type}, by the id a search gave (audited)`,
        description: readDocumentation,
        params: resourceId,
        headers: practitionerHeaders,
        response: { 200: resource(type), ...errors, 404: operationOutcome },
      },
      handler: async (request, reply) => {
        const { 'x-practitioner-id': practitionerId } = request.headers as { 'x-practitioner-id': string };
        const found = await service.read(request.actor, type, request.params.resultId, practitionerId);
        return reply
          .type(fhirContentType)
          .header('etag', `W/"${found.meta?.versionId}"`)
          .send({ ...found });
      },
    });
  }
};

function searchDescription(type: SearchedType): string {
  const date = type === 'DiagnosticReport' ? 'date' : 'started';
  return (
    `patient.identifier=<system>|<value> is required; ${type === 'DiagnosticReport' ? 'code=<system>|<code> and ' : ''}${date}=ge<date> narrow it. ` +
    'X-Practitioner-Id names the doctor; the purpose is treatment. Every search is recorded in the audit trail as results.search, with the result ids returned.'
  );
}

/** The FHIR R4 API: one plugin, under its base path. */
export const fhirRoutes: FastifyPluginAsyncZod<{ fhir: FhirService }> = async (app, options) => {
  await app.register(fhirApi, { ...options, prefix: fhirBasePath });
};
