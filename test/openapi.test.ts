import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApiText, openapiFile } from '../scripts/openapi-document.ts';
import { adminToken, bearer } from './helpers/auth.ts';
import { createTestContext } from './helpers/context.ts';

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas?: Record<string, unknown> };
}

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const tokenPath = '/v1/oauth/token';

let committed: string;
let generated: string;
let spec: Document;

beforeAll(async () => {
  committed = await readFile(openapiFile, 'utf8').catch(() => '');
  generated = await generateOpenApiText();
  spec = JSON.parse(generated) as Document;
});

function operations(): [string, string, Operation][] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => httpMethods.has(method))
      .map(([method, operation]): [string, string, Operation] => [path, method, operation]),
  );
}

describe('the committed OpenAPI document', () => {
  it('matches what the routes generate now', () => {
    // A failure here means a route changed without the spec: run `npm run openapi` and commit the result.
    expect(committed, 'openapi/openapi.json is stale: run `npm run openapi` and commit it').toBe(generated);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const outcome = await validator.validate(JSON.parse(generated) as Record<string, unknown>);
    expect(outcome.errors ?? []).toEqual([]);
    expect(outcome.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(spec.openapi).toMatch(/^3\.1\./);
  });

  it('resolves every local $ref', () => {
    const refs = [...generated.matchAll(/"\$ref": "([^"]+)"/g)].map((m) => m[1]);
    const missing = refs.filter((ref) => {
      if (!ref.startsWith('#/')) return true;
      let node: unknown = spec;
      for (const segment of ref.slice(2).split('/')) {
        node = (node as Record<string, unknown> | undefined)?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
      }
      return node === undefined;
    });
    expect(missing).toEqual([]);
  });
});

describe('every operation', () => {
  it('has a unique operationId, tags and a summary or description', () => {
    const incomplete = operations()
      .filter(([, , op]) => !op.operationId || !op.tags?.length || !(op.summary || op.description))
      .map(([path, method]) => `${method.toUpperCase()} ${path}`);
    expect(incomplete).toEqual([]);
    const ids = operations().map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('under /v1/ declares its security, except the token endpoint', () => {
    const v1 = operations().filter(([path]) => path.startsWith('/v1/') && path !== tokenPath);
    const unsecured = v1.filter(([, , op]) => !op.security?.length).map(([path, method]) => `${method.toUpperCase()} ${path}`);
    expect(unsecured).toEqual([]);
    const schemes = new Set(Object.keys(spec.components.securitySchemes));
    const unknownSchemes = v1
      .flatMap(([, , op]) => (op.security ?? []).flatMap((requirement) => Object.keys(requirement)))
      .filter((s) => !schemes.has(s));
    expect(unknownSchemes).toEqual([]);
  });

  it('leaves the token endpoint open', () => {
    const token = spec.paths[tokenPath]?.post;
    expect(token).toBeDefined();
    expect(token.security ?? []).toEqual([]);
  });
});

describe('security schemes', () => {
  it('offer a bearer JWT and OAuth 2.0 client credentials at the token endpoint', () => {
    const { bearerAuth, oauth2 } = spec.components.securitySchemes;
    expect(bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(oauth2).toMatchObject({
      type: 'oauth2',
      flows: { clientCredentials: { tokenUrl: expect.stringMatching(/\/v1\/oauth\/token$/) } },
    });
    const scopes = Object.keys((oauth2.flows as { clientCredentials: { scopes: Record<string, string> } }).clientCredentials.scopes);
    expect(scopes.sort()).toEqual(['admin', 'recognition', 'reports:read', 'results:read', 'results:write']);
  });
});

describe('the answers the tests receive', () => {
  it('are checked against the committed document: an answer it does not describe fails the test file', async () => {
    const context = await createTestContext(
      {},
      {
        // Spoil one answer after it is serialised, as a route that drifted from its schema would.
        extend: (app) => {
          app.addHook('onSend', async (request, _reply, payload) =>
            request.routeOptions.url === '/v1/hospitals' ? '{"hospitals":"not a list"}' : payload,
          );
        },
      },
    );
    const response = await context.app.inject({ url: '/v1/hospitals', headers: bearer(await adminToken(context.app)) });
    expect(response.statusCode).toBe(200);
    await expect(context.close()).rejects.toThrow(/GET \/v1\/hospitals → 200 application\/json: .*data\/hospitals must be array/);
  });
});
