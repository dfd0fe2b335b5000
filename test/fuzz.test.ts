import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import {
  countChanges,
  describe as show,
  loggedFailure,
  oauthErrorViolations,
  operationOutcomeViolations,
  problemViolations,
  tableCounts,
  textMismatches,
  type TableCounts,
} from './helpers/fuzz-checks.ts';
import { jsonText, percentEncode } from './helpers/fuzz-hostile.ts';
import { readBack } from './helpers/fuzz-readback.ts';
import { createFuzzRoutes, type FuzzCase, type OpenApiDocument, type Route, type Sent } from './helpers/fuzz-routes.ts';
import { createSchemaArbitraries, parameterSchema, type SchemaArbitraries } from './helpers/fuzz-schema.ts';
import { buildFuzzWorld, fuzzHints, type FuzzWorld } from './helpers/fuzz-world.ts';

/**
 * Property-based fuzzing of every route that writes, and of the query strings of the routes that
 * read with one: bodies, path parameters and queries are generated from the OpenAPI document the app
 * serves, mostly valid, then one value is replaced by something hostile. Every answer must be below
 * 500, every refusal a well-formed problem (RFC 6749 JSON from the token endpoint) that stored
 * nothing, and every acceptance must store the text it was sent unchanged.
 * Replay or widen a run with FUZZ_SEED=<seed> and FUZZ_RUNS=<runs>.
 */
const seed = Number(process.env.FUZZ_SEED ?? 20_261_201);
const numRuns = Number(process.env.FUZZ_RUNS ?? 40);

const writeOperations = [
  'issueToken',
  'putResult',
  'submitResultBatch',
  'searchResults',
  'searchAuditEventsByPatient',
  'registerClient',
  'disableClient',
  'putHospital',
  'putScope',
  'putItem',
  'putCodeMapEntry',
  'addCertificationEvent',
  'putRuleSettings',
  'createRecognitionCheck',
  'recordDecisions',
  'runWhatIf',
  'registerWebhookEndpoint',
  'changeWebhookEndpoint',
  'rotateWebhookSecret',
  'retryWebhookDelivery',
  'acknowledgeRecall',
  'callCdsService',
  'cdsServiceFeedback',
  'postFhirBundle',
  'searchDiagnosticReportByPost',
  'searchImagingStudyByPost',
];
const queryOperations = [
  'listAuditEvents',
  'getAccessVolumes',
  'listPatientsReadByClient',
  'listHospitals',
  'listItems',
  'getSavingsReport',
  'getDeclinesReport',
  'getFlowsReport',
  'getCertificationsReport',
  'listWebhookEndpoints',
  'listWebhookDeliveries',
  'listRecalls',
  'getResultHistory',
  'getRecallReport',
  'searchDiagnosticReport',
  'searchImagingStudy',
];

// Limits that would answer a fuzzing client 429 or 503 long before its inputs reach the code under test.
const unthrottled = {
  RATE_LIMIT_PER_CLIENT: '10000000',
  RATE_LIMIT_PER_ADDRESS: '10000000',
  RATE_LIMIT_TOKEN_PER_ADDRESS: '10000000',
  AUTH_MAX_FAILURES: '1000',
};

let ctx: TestContext;
let world: FuzzWorld;
let schemas: SchemaArbitraries;
let routes: ReturnType<typeof createFuzzRoutes>;

beforeAll(async () => {
  ctx = await createTestContext(unthrottled);
  world = await buildFuzzWorld(ctx);
  const document = ctx.app.swagger() as unknown as OpenApiDocument;
  schemas = createSchemaArbitraries(document, fuzzHints(world));
  routes = createFuzzRoutes(document, schemas, world, seed);
});
afterAll(() => ctx.close());

type Stored = Map<string, string>;

/** The receiving hospital's results by accession number: version and content hash, to see what a batch changed. */
async function storedAccessions(body: unknown): Promise<Stored> {
  const items: unknown = (body as { results?: unknown } | null)?.results;
  const names = (Array.isArray(items) ? items : [])
    .map((item) => (item as { accessionNo?: unknown } | null)?.accessionNo)
    .filter((name): name is string => typeof name === 'string' && /^[\x21-\x7e]{1,64}$/.test(name));
  if (names.length === 0) return new Map();
  const rows = await ctx.db
    .selectFrom('results')
    .select(['accession_no', 'version', 'content_hash'])
    .where('issuing_hospital_id', '=', world.receiver)
    .where('accession_no', 'in', names)
    .execute();
  return new Map(rows.map((r) => [r.accession_no, `${r.version}:${r.content_hash}`]));
}

interface BatchAnswer {
  results: { index: number; accessionNo: string | null; outcome: string }[];
}

/** (c) for the batch: rows added match the outcomes, and no rejected item changed what is stored under its accession number. */
function batchViolations(
  sent: Sent,
  answer: BatchAnswer,
  [before, after]: [TableCounts, TableCounts],
  [was, is]: [Stored, Stored],
): string[] {
  const tally = (outcome: string) => answer.results.filter((r) => r.outcome === outcome).length;
  const created = tally('created');
  const written = created + tally('updated');
  const wrong: string[] = [];
  if (after.results - before.results !== created)
    wrong.push(`results grew by ${after.results - before.results} rows, but ${created} items were created`);
  if (after.result_versions - before.result_versions !== written)
    wrong.push(`result_versions grew by ${after.result_versions - before.result_versions}, not by the ${written} items written`);
  const items = (sent.body as { results: { accessionNo?: unknown }[] }).results;
  const accepted = new Set(answer.results.filter((r) => r.outcome !== 'rejected').map((r) => r.accessionNo));
  for (const r of answer.results.filter((r) => r.outcome === 'rejected')) {
    const name = items[r.index]?.accessionNo;
    if (typeof name === 'string' && !accepted.has(name) && was.get(name) !== is.get(name))
      wrong.push(`rejected item ${r.index} changed the stored result ${show(name)}`);
  }
  return wrong;
}

async function violations(
  route: Route,
  sent: Sent,
  response: LightMyRequestResponse,
  counts: [TableCounts, TableCounts],
  stored: [Stored, Stored],
  actor: string,
) {
  const status = response.statusCode;
  if (status >= 500) return [`answered ${status}: ${loggedFailure(ctx.logs(), String(response.headers['x-request-id']))}`];
  if (status >= 400) {
    const shape =
      route.operationId === 'issueToken'
        ? oauthErrorViolations(response)
        : route.path.startsWith('/fhir/')
          ? operationOutcomeViolations(response)
          : problemViolations(response);
    // A CDS client's JWT is spent once it is verified, whatever the answer (its jti, against replay).
    const changes = countChanges(...counts).filter((change) => !(actor === 'cds' && change.startsWith('client_assertions:')));
    return [...shape, ...changes.map((change) => `refused, yet stored: ${change}`)];
  }
  const answer = response.json<Record<string, unknown>>();
  const batch = route.operationId === 'submitResultBatch' ? batchViolations(sent, answer as unknown as BatchAnswer, counts, stored) : [];
  const bodySchema = route.body ? schemas.resolve(route.body) : {};
  const texts = await readBack(route.operationId, ctx, world, {
    requestId: String(response.headers['x-request-id']),
    params: sent.params,
    body: sent.body,
    bodySchema,
    answer,
  });
  return [
    ...batch,
    ...texts.flatMap((t) => textMismatches(t.sent, t.stored, t.schema, schemas.resolve).map((m) => `${t.label} altered: ${m}`)),
  ];
}

/**
 * After a request that held the event loop for over a second, the load shedder answers 503 to
 * everything for its next sample interval (it reads an interval without samples as overload).
 * Waiting that out judges every case on its own answer rather than on its predecessor's.
 */
const stallMs = 1_000;
const shedderRecoveryMs = 2_000;

async function runCase(route: Route, c: FuzzCase): Promise<void> {
  const sent = routes.build(route, c);
  const batch = route.operationId === 'submitResultBatch';
  const storedBefore = batch ? await storedAccessions(sent.body) : new Map<string, string>();
  const before = await tableCounts(ctx.db);
  const startedAt = performance.now();
  const response = await ctx.app.inject({ method: route.method as 'GET', url: sent.url, headers: sent.headers, payload: sent.payload });
  if (performance.now() - startedAt > stallMs) await sleep(shedderRecoveryMs);
  const after = await tableCounts(ctx.db);
  const storedAfter = batch ? await storedAccessions(sent.body) : storedBefore;
  const wrong = await violations(route, sent, response, [before, after], [storedBefore, storedAfter], c.actor);
  if (wrong.length === 0) return;
  throw new Error(
    [
      `${route.method} ${show(sent.url)} as ${c.actor}; mutated ${sent.mutatedPath}: ${c.mutation ? JSON.stringify(c.mutation.hostile) : 'nothing'}`,
      `answered ${response.statusCode} ${show(response.body)}`,
      ...wrong.map((w) => `  - ${w}`),
      `replay: FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`,
    ].join('\n'),
  );
}

async function fuzz(operationId: string) {
  const route = routes.routeOf(operationId);
  const arbitrary = routes.caseArbitrary(route);
  await fc.assert(
    fc.asyncProperty(arbitrary, (c) => runCase(route, c)),
    // No shrinking: each step is a request, and the failing case already names its one mutation.
    { seed, numRuns, endOnFailure: true, examples: routes.corpus(route, arbitrary) },
  );
}

describe('fuzzing', () => {
  it('covers every write route and every query string of the OpenAPI document', () => {
    const operations = routes.operations();
    const writes = operations.filter((o) => ['put', 'post', 'patch', 'delete'].includes(o.method)).map((o) => o.operationId);
    const queried = operations.filter((o) => o.method === 'get' && parameterSchema(o.parameters ?? [], 'query')).map((o) => o.operationId);
    expect(writes.sort()).toEqual([...writeOperations].sort());
    expect(queried.sort()).toEqual([...queryOperations].sort());
  });

  it('sends lone surrogates as escapes, in JSON and in URLs', () => {
    expect(jsonText({ text: 'a\ud800' })).toBe('{"text":"a\\ud800"}');
    expect(percentEncode('a\ud800 /')).toBe('a%ED%A0%80%20%2F');
  });

  for (const operationId of [...writeOperations, ...queryOperations]) {
    it(operationId, () => fuzz(operationId), 120_000);
  }
});
