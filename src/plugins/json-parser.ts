import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { ProblemError } from '../errors.ts';

/** JSON deeper than this is refused; no request of this API needs more than six levels. */
export const maxJsonDepth = 32;

/**
 * JSON bodies are parsed by Fastify's own parser (prototype poisoning refused) after a scan,
 * without recursion, that refuses nesting deeper than `maxJsonDepth` (400): every later walk over
 * a body (validation, the audit's summary of a refused request) is then bounded too.
 */
export function registerJsonParser(app: FastifyInstance) {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, boundedJsonParser(app));
}

/** Fastify's JSON parser behind the depth scan, for any JSON media type (the FHIR API adds application/fhir+json). */
export function boundedJsonParser(app: FastifyInstance): FastifyBodyParser<string> {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (nestedDeeperThan(body, maxJsonDepth)) {
      done(
        new ProblemError(400, 'malformed-body', 'Malformed body', `JSON nested deeper than ${maxJsonDepth} levels is not accepted`),
        undefined,
      );
      return;
    }
    parse(request, body, done);
  };
}

function nestedDeeperThan(json: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i += 1) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return false;
}
