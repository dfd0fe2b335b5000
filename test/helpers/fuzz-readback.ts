import type { TestContext } from './context.ts';
import { auditedRequest } from './audit.ts';
import { bearer } from './auth.ts';
import { percentEncode, type Fields } from './fuzz-hostile.ts';
import type { JsonSchema } from './fuzz-schema.ts';
import type { FuzzWorld } from './fuzz-world.ts';

/**
 * How to read back what a successful write stored, shaped like the request that wrote it, for the
 * text comparison of invariant (d). Fields never stored as sent are left out on purpose: the
 * patient (only its keyed HMAC is kept), a client's JWKS (not shown), and of a check or a search
 * everything but the practitioner and the purpose (the rest is resolved, not kept as text).
 */
export interface Written {
  /** The request's id (its answer's `x-request-id`), which names its audit event. */
  requestId: string;
  params: Fields;
  body: unknown;
  bodySchema: JsonSchema;
  answer: Record<string, unknown>;
}

export interface StoredText {
  label: string;
  sent: unknown;
  stored: unknown;
  schema: JsonSchema;
}

type ReadBack = (ctx: TestContext, world: FuzzWorld, written: Written) => Promise<StoredText[]>;

/** GET as the given actor; undefined when the resource cannot be read back. */
async function get(ctx: TestContext, token: string, url: string): Promise<Record<string, unknown> | undefined> {
  const response = await ctx.app.inject({ url, headers: bearer(token) });
  if (response.statusCode >= 500) throw new Error(`read-back GET ${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  return response.statusCode === 200 ? response.json<Record<string, unknown>>() : undefined;
}

const segment = (value: string | string[] | undefined) => percentEncode(String(value ?? ''));
const without = (value: unknown, ...keys: string[]) =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)))
    : value;
const only = (value: unknown, ...keys: string[]) =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter(([key]) => keys.includes(key)))
    : value;
const list = (value: unknown, key: string) => ((value as Record<string, unknown> | undefined)?.[key] ?? []) as Record<string, unknown>[];

const one = (label: string, written: Written, stored: unknown, sent = written.body): StoredText[] => [
  { label, sent, stored, schema: written.bodySchema },
];

/** The schema of the elements of an array property of the body (a batch's results). */
function elementSchema(schema: JsonSchema, key: string): JsonSchema {
  return schema.properties?.[key]?.items ?? {};
}

const readBacks: Record<string, ReadBack> = {
  putHospital: async (ctx, world, w) =>
    one('hospital', w, await get(ctx, world.tokens.admin, `/v1/hospitals/${segment(w.params.hospitalId)}`)),
  putScope: async (ctx, world, w) => one('scope', w, await get(ctx, world.tokens.admin, `/v1/scopes/${segment(w.params.scopeId)}`)),
  putItem: async (ctx, world, w) => one('item', w, await get(ctx, world.tokens.admin, `/v1/items/${segment(w.params.itemCode)}`)),
  putCodeMapEntry: async (ctx, world, w) => {
    const map = await get(ctx, world.tokens.admin, `/v1/hospitals/${segment(w.params.hospitalId)}/code-map`);
    return one(
      'code-map entry',
      w,
      list(map, 'entries').find((e) => e.localCode === w.params.localCode),
    );
  },
  addCertificationEvent: async (ctx, world, w) => {
    const timeline = await get(ctx, world.tokens.admin, `/v1/hospitals/${segment(w.params.hospitalId)}/certifications`);
    return one(
      'certification event',
      w,
      list(timeline, 'timeline').find((e) => e.id === w.answer.id),
    );
  },
  registerClient: async (ctx, world, w) => {
    const clients = await get(ctx, world.tokens.admin, `/v1/hospitals/${segment(w.params.hospitalId)}/clients`);
    return one(
      'client',
      w,
      list(clients, 'clients').find((c) => c.clientId === w.answer.clientId),
      without(w.body, 'jwks'),
    );
  },
  registerWebhookEndpoint: async (ctx, world, w) =>
    one('webhook endpoint', w, await get(ctx, world.tokens.admin, `/v1/webhook-endpoints/${segment(String(w.answer.id))}`)),
  changeWebhookEndpoint: async (ctx, world, w) =>
    one('webhook endpoint', w, await get(ctx, world.tokens.admin, `/v1/webhook-endpoints/${segment(w.params.endpointId)}`)),
  putResult: async (ctx, world, w) =>
    one('result', w, await get(ctx, world.tokens.hospital, `/v1/results/${segment(w.params.accessionNo)}`), without(w.body, 'patient')),
  submitResultBatch: async (ctx, world, w) => {
    const items = list(w.body, 'results');
    const stored = list(w.answer, 'results').filter((r) => r.outcome !== 'rejected');
    return Promise.all(
      stored.map(async (r) => ({
        label: `batch item ${String(r.index)}`,
        sent: without(items[r.index as number], 'patient'),
        stored: await get(ctx, world.tokens.hospital, `/v1/results/${segment(String(r.accessionNo))}`),
        schema: elementSchema(w.bodySchema, 'results'),
      })),
    );
  },
  createRecognitionCheck: async (ctx, _world, w) => {
    const row = await ctx.db
      .selectFrom('recognition_checks')
      .select(['practitioner_id', 'purpose'])
      .where('id', '=', String(w.answer.checkId))
      .executeTakeFirst();
    const stored = row && { practitionerId: row.practitioner_id, purpose: row.purpose };
    return one('recognition check', w, stored, only(w.body, 'practitionerId', 'purpose'));
  },
  recordDecisions: async (ctx, _world, w) => {
    const ids = list(w.answer, 'decisions').map((d) => String(d.decisionId));
    const rows = await ctx.db.selectFrom('recognition_decisions').selectAll().where('id', 'in', ids).execute();
    const byId = new Map(
      rows.map((r) => [
        r.id,
        { resultId: r.result_id, itemCode: r.item_code, action: r.action, reasonCode: r.reason_code, reasonText: r.reason_text },
      ]),
    );
    // A repeated decision keeps the doctor who made it first: practitionerId is compared only through the check.
    return one('decisions', w, { decisions: ids.map((id) => byId.get(id)) }, without(w.body, 'practitionerId'));
  },
  searchResults: async (ctx, _world, w) => {
    // The request's own event: other test files may search the same database at the same time.
    const event = await auditedRequest(ctx.db, w.requestId);
    return one(
      'audit event of the search',
      w,
      { practitionerId: event.practitioner_id, purpose: event.purpose },
      only(w.body, 'practitionerId', 'purpose'),
    );
  },
};

/** What a successful write stored, for each of its text-bearing parts; none for routes that store no text. */
export function readBack(operationId: string, ctx: TestContext, world: FuzzWorld, written: Written): Promise<StoredText[]> {
  return readBacks[operationId]?.(ctx, world, written) ?? Promise.resolve([]);
}
