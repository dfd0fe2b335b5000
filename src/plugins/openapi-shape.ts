import { jsonSchemaTransform, jsonSchemaTransformObject } from '@fastify/type-provider-zod';
import type { FastifyContextConfig } from 'fastify';

/**
 * The OpenAPI document says exactly what goes over the wire: each response's real media types
 * (problem+json for errors, RFC 6749 JSON from the token endpoint, CSV where a report offers it,
 * Prometheus text), a description per status, the refusals every route can answer (rate limits,
 * overload), `security: []` on public operations, and only the components something refers to.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers `text/csv` too, when the Accept header prefers it. */
    csv?: boolean;
    /** The media type of the route's success answer, when it is not JSON. */
    produces?: string;
    /** A FHIR API route: its errors are OperationOutcomes in application/fhir+json, not problems. */
    fhir?: boolean;
  }
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const operationOutcomeRef = { $ref: '#/components/schemas/OperationOutcome' };

const statusDescriptions: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'The request is invalid; `errors` lists each field that failed',
  401: 'No valid access token, or the client failed to authenticate',
  403: 'The access token does not allow this',
  404: 'Not found',
  409: 'Conflicts with what is already recorded, or the same Idempotency-Key is still being answered',
  413: 'The body is too large',
  415: 'The body is not of a supported media type',
  422: 'The Idempotency-Key was used for a different request',
  429: 'Too many requests; retry after `Retry-After` seconds',
  500: 'The server failed; quote the request id when reporting it',
  503: 'Unavailable for now (a database outage, overload or shutdown); retry after `Retry-After` seconds',
};

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type Responses = Record<string, unknown>;

/** Per route: the type provider's JSON Schemas, then each response wrapped with its media types and description. */
export function shapeRoute(input: TransformInput) {
  const transformed = jsonSchemaTransform(input);
  const schema = transformed.schema as Record<string, unknown> & { response?: Responses; hide?: boolean };
  if (schema.hide) return transformed;
  const config = (input.route.config ?? {}) as FastifyContextConfig;
  const responses: Responses = { ...schema.response };
  const oauth = Boolean(config.tokenEndpoint);
  const hasInput = Boolean(schema.body || schema.querystring || schema.params);
  const errorRef = config.fhir ? operationOutcomeRef : problemRef;
  // Refusals any such route can answer, whether or not its handler names them.
  if (hasInput && !oauth) responses[400] ??= errorRef;
  if (schema.body && !oauth) responses[413] ??= errorRef;
  if (schema.body && !oauth) responses[415] ??= errorRef;
  if (!config.neverShed && !oauth) responses[429] ??= errorRef;
  if (!oauth) responses[500] ??= errorRef;
  if (!oauth) responses[503] ??= errorRef;
  if (config.idempotent) responses[422] ??= errorRef;

  const errorMedia = oauth ? 'application/json' : config.fhir ? 'application/fhir+json' : 'application/problem+json';
  schema.response = Object.fromEntries(
    Object.entries(responses).map(([status, body]) => {
      const code = Number(status);
      const media = code >= 400 ? errorMedia : (config.produces ?? 'application/json');
      const content: Record<string, { schema: unknown }> = { [media]: { schema: body } };
      if (code < 300 && config.csv)
        content['text/csv'] = { schema: { type: 'string', description: 'RFC 4180 CSV, UTF-8, with a header row' } };
      return [status, { description: statusDescriptions[code] ?? 'See the operation', content }];
    }),
  );
  // A route without scopes is public unless it declares its own scheme; the auth plugin sets the requirement of every other one.
  if (!config.scopes) schema.security ??= [];
  return transformed;
}

type Document = ReturnType<typeof jsonSchemaTransformObject>;

/** The whole document: components no operation (or other component) refers to are left out; the rest sorted by name. */
export function shapeDocument(input: Parameters<typeof jsonSchemaTransformObject>[0]): Document {
  const document = jsonSchemaTransformObject(input) as Document & { components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  const used = new Set<string>();
  const pending = [JSON.stringify({ ...document, components: { ...document.components, schemas: {} } })];
  while (pending.length > 0) {
    for (const [, name] of pending.pop()!.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (used.has(name) || !schemas[name]) continue;
      used.add(name);
      pending.push(JSON.stringify(schemas[name]));
    }
  }
  // In name order, so the document does not depend on the order in which modules are imported.
  document.components!.schemas = Object.fromEntries(
    Object.entries(schemas)
      .filter(([name]) => used.has(name))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return document as Document;
}
