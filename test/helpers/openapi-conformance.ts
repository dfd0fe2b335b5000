import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { openapiFile } from '../../scripts/openapi-document.ts';

interface MediaType {
  schema?: unknown;
}
interface Operation {
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const document = JSON.parse(readFileSync(openapiFile, 'utf8')) as Document;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
(addFormatsPlugin as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: 'openapi', components: document.components });
const compiled = new Map<string, ValidateFunction>();

/** A schema of the document, its local references pointed at the registered components. */
function validatorFor(key: string, schema: unknown): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/');
    validate = ajv.compile(JSON.parse(text) as object);
    compiled.set(key, validate);
  }
  return validate;
}

/** Fastify's route pattern as OpenAPI writes it: /v1/results/:accessionNo → /v1/results/{accessionNo}. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const mediaOf = (contentType: unknown) =>
  String(contentType ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();

/**
 * Checks every answer the app sends against the committed OpenAPI document: the status is declared
 * for the operation, the media type is one it lists, and a JSON body validates against its schema.
 * Routes the document leaves out on purpose (hidden, or test-only) are skipped. Returns the
 * violations seen so far; the test context fails a file that has any.
 */
export function checkAnswersAgainstOpenApi(app: FastifyInstance): () => string[] {
  const violations: string[] = [];
  app.addHook('onSend', async (request, reply, payload) => {
    const url = request.routeOptions.url;
    if (!url || request.routeOptions.schema?.hide) return payload;
    const operation = document.paths[openapiPath(url)]?.[request.method.toLowerCase()];
    if (!operation) return payload;
    const where = `${request.method} ${url} → ${reply.statusCode}`;
    const declared = operation.responses[String(reply.statusCode)];
    if (!declared) {
      violations.push(`${where}: status not declared`);
      return payload;
    }
    const media = mediaOf(reply.getHeader('content-type'));
    const entry = Object.entries(declared.content ?? {}).find(([type]) => mediaOf(type) === media);
    if (!entry) {
      if (payload !== null && payload !== undefined && payload !== '') violations.push(`${where}: media type ${media} not declared`);
      return payload;
    }
    if (typeof payload === 'string' && (media === 'application/json' || media.endsWith('+json'))) {
      const validate = validatorFor(`${where} ${media}`, entry[1].schema ?? {});
      if (!validate(JSON.parse(payload))) violations.push(`${where} ${media}: ${ajv.errorsText(validate.errors)}`);
    }
    return payload;
  });
  return () => violations;
}
