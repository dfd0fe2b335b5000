import fc from 'fast-check';
import { hospitalScopes } from '../../src/modules/auth/actor.ts';
import { basic, bearer } from './auth.ts';
import {
  extremes,
  formText,
  holdsDates,
  hostileArbitrary,
  jsonText,
  mutateBody,
  mutateFields,
  percentEncode,
  type Fields,
  type Hostile,
} from './fuzz-hostile.ts';
import { parameterSchema, type JsonSchema, type SchemaArbitraries } from './fuzz-schema.ts';
import type { FuzzWorld } from './fuzz-world.ts';

/**
 * The routes of the OpenAPI document as the fuzz suite sees them: who may call each, the cases
 * generated for it (from its schemas, then one hostile mutation), and the request each case sends.
 */
export type Actor = 'admin' | 'hospital' | 'basic' | 'anonymous' | 'cds';

interface Operation {
  operationId: string;
  parameters?: { in: string; name: string; required?: boolean; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

export interface Route {
  operationId: string;
  method: string;
  path: string;
  body: JsonSchema | null;
  form: boolean;
  params: JsonSchema | null;
  query: JsonSchema | null;
  actors: Actor[];
  /** The FHIR searches name the doctor asking, in a header. */
  practitioner: boolean;
}

type Target = 'body' | 'params' | 'query';

interface Mutation {
  target: Target;
  pick: number;
  hostile: Hostile;
}

export interface FuzzCase {
  actor: Actor;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  mutation: Mutation | null;
}

/** A case as sent: the mutated body (for the read-back), its text, and where the mutation went. */
export interface Sent {
  url: string;
  params: Fields;
  body: unknown;
  payload: string | undefined;
  headers: Record<string, string>;
  mutatedPath: string;
}

/** Who may call a route, from its security requirement: the token endpoint authenticates clients itself. */
function actorsOf(op: Operation): Actor[] {
  if (!op.security) return ['basic', 'anonymous'];
  // CDS Hooks: the hospital's EHR, by its own signed JWT.
  if (op.security.some((requirement) => 'cdsHooksJwt' in requirement)) return ['cds'];
  const scopes = op.security.flatMap((requirement) => requirement.oauth2 ?? []);
  const hospital = scopes.length === 0 || scopes.some((s) => (hospitalScopes as readonly string[]).includes(s));
  return [...(scopes.includes('admin') ? ['admin' as const] : []), ...(hospital ? ['hospital' as const] : [])];
}

const fieldsOf = (value: unknown): Fields =>
  Object.fromEntries(
    Object.entries((value ?? {}) as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );

export function createFuzzRoutes(document: OpenApiDocument, schemas: SchemaArbitraries, world: FuzzWorld, seed: number) {
  function operations() {
    return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ ...op, method, path })));
  }

  function routeOf(operationId: string): Route {
    const op = operations().find((o) => o.operationId === operationId);
    if (!op) throw new Error(`no operation ${operationId} in the OpenAPI document`);
    const [contentType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
    return {
      operationId,
      method: op.method.toUpperCase(),
      path: op.path,
      body: media?.schema ?? null,
      form: contentType === 'application/x-www-form-urlencoded',
      params: parameterSchema(op.parameters ?? [], 'path'),
      query: parameterSchema(op.parameters ?? [], 'query'),
      actors: actorsOf(op),
      practitioner: (op.parameters ?? []).some((p) => p.in === 'header' && p.name === 'x-practitioner-id'),
    };
  }

  function caseArbitrary(route: Route): fc.Arbitrary<FuzzCase> {
    const targets = (['body', 'params', 'query'] as const).filter((t) => route[t] !== null);
    const object = (schema: JsonSchema | null) =>
      schema ? (schemas.arbitrary(schema) as fc.Arbitrary<Record<string, unknown>>) : fc.constant({});
    return fc.record({
      actor: fc.constantFrom(...route.actors),
      params: object(route.params),
      query: object(route.query),
      body: route.body ? schemas.arbitrary(route.body) : fc.constant(undefined),
      // One case in five is sent as generated, so that valid requests are exercised as well.
      mutation: fc.option(fc.record({ target: fc.constantFrom(...targets), pick: fc.nat(), hostile: hostileArbitrary }), {
        freq: 5,
        nil: null,
      }),
    });
  }

  /** The fields a flat target declares, with their formats: a mutation may set one that was not generated. */
  function declared(schema: JsonSchema | null): Record<string, string | undefined> {
    const properties = schema ? (schemas.resolve(schema).properties ?? {}) : {};
    return Object.fromEntries(Object.entries(properties).map(([name, s]) => [name, schemas.resolve(s).format]));
  }

  /**
   * A seed corpus, run first, of what is too telling to leave to chance: every extreme date in every
   * place of the route that takes dates (a whole period in the year 9999), and a JSON body that is
   * nothing but nesting 10,000 deep.
   */
  function corpus(route: Route, arbitrary: fc.Arbitrary<FuzzCase>): [FuzzCase][] {
    const [base] = fc.sample(arbitrary, { seed, numRuns: 1 });
    const dated = (target: Target) =>
      target === 'body' ? holdsDates(base.body) : Object.values(declared(route[target])).some((f) => f?.startsWith('date'));
    const targets = (['body', 'params', 'query'] as const).filter((t) => route[t] !== null && dated(t));
    // As the first actor the route allows (an administrator for reports), and in a query with the
    // dates alone, so that no other refusal comes first.
    const mutated = (target: Target, hostile: Hostile): [FuzzCase] => [
      { ...base, actor: route.actors[0], ...(target === 'query' ? { query: {} } : {}), mutation: { target, pick: 0, hostile } },
    ];
    const dates = targets.flatMap((target) => extremes.map((extreme) => mutated(target, { kind: 'date', extreme })));
    // pick 0 is the body itself.
    const deep = route.body && !route.form ? [mutated('body', { kind: 'deep', shape: 'array', depth: 10_000 })] : [];
    return [...dates, ...deep];
  }

  /** The request of a case: the mutation applied, the body written as raw text. */
  function build(route: Route, c: FuzzCase): Sent {
    let params = fieldsOf(c.params);
    let query = fieldsOf(c.query);
    let body = route.form ? fieldsOf(c.body) : c.body;
    let mutatedPath = '-';
    const m = c.mutation;
    if (m?.target === 'params') [params, mutatedPath] = mutateFields(params, declared(route.params), m.pick, m.hostile);
    if (m?.target === 'query') [query, mutatedPath] = mutateFields(query, declared(route.query), m.pick, m.hostile);
    if (m?.target === 'body') {
      [body, mutatedPath] = route.form
        ? mutateFields(body as Fields, declared(route.body), m.pick, m.hostile)
        : mutateBody(body, m.pick, m.hostile);
    }
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => percentEncode(String(params[name] ?? '')));
    const auth: Record<Actor, () => Record<string, string>> = {
      admin: () => bearer(world.tokens.admin),
      hospital: () => bearer(world.tokens.hospital),
      basic: () => ({ authorization: basic(world.tokenClient.clientId, world.tokenClient.clientSecret) }),
      anonymous: () => ({}),
      cds: () => world.cdsAuthorization(path),
    };
    const contentType = route.form ? 'application/x-www-form-urlencoded' : 'application/json';
    const payload = route.body === null ? undefined : route.form ? formText(body as Fields) : jsonText(body);
    return {
      url: Object.keys(query).length > 0 ? `${path}?${formText(query)}` : path,
      params,
      body,
      payload,
      mutatedPath,
      headers: {
        ...auth[c.actor](),
        ...(route.practitioner ? { 'x-practitioner-id': 'DR-FUZZ-1' } : {}),
        ...(payload === undefined ? {} : { 'content-type': contentType }),
      },
    };
  }

  return { operations, routeOf, caseArbitrary, corpus, build };
}
