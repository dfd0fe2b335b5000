import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { RawJson } from './fuzz-hostile.ts';
import { isText, type JsonSchema } from './fuzz-schema.ts';

/**
 * The invariants the fuzz suite holds every answer to, each returning what it found wrong (an empty
 * list when all is well), so one failing case reports every broken invariant at once.
 */

/**
 * Every table a request can write to, apart from audit_events (a refusal may be audited) and the
 * report aggregates (filled in the background from agg_pending, whatever the request).
 */
export const countedTables = [
  'results',
  'result_versions',
  'hospitals',
  'scopes',
  'items',
  'code_maps',
  'certification_events',
  'clients',
  'client_assertions',
  'recognition_checks',
  'check_items',
  'check_candidates',
  'recognition_decisions',
  'rule_sets',
  'webhook_endpoints',
  'webhook_deliveries',
  'cds_cards',
] as const;

export type TableCounts = Record<(typeof countedTables)[number], number>;

export async function tableCounts(db: Database): Promise<TableCounts> {
  const columns = countedTables.map((table) => `(select count(*) from ${table})::int as ${table}`).join(', ');
  const { rows } = await sql<TableCounts>`select ${sql.raw(columns)}`.execute(db);
  return rows[0];
}

export function countChanges(before: TableCounts, after: TableCounts): string[] {
  return countedTables.filter((t) => before[t] !== after[t]).map((t) => `${t}: ${before[t]} → ${after[t]} rows`);
}

function parsed(response: LightMyRequestResponse): Record<string, unknown> | null {
  try {
    const body: unknown = JSON.parse(response.body);
    return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** (b) A 4xx is RFC 9457 problem+json: type, title, status equal to the HTTP status, the request id. */
export function problemViolations(response: LightMyRequestResponse): string[] {
  const type = String(response.headers['content-type'] ?? '');
  const problem = parsed(response);
  if (!type.startsWith('application/problem+json') || !problem) {
    const code = typeof problem?.code === 'string' ? ` (code ${problem.code})` : '';
    return [
      `not problem+json: content-type "${type}", body ${problem ? `with keys ${Object.keys(problem).join(', ')}${code}` : 'not a JSON object'}`,
    ];
  }
  const wrong: string[] = [];
  if (typeof problem.type !== 'string' || problem.type === '') wrong.push('no type');
  if (typeof problem.title !== 'string' || problem.title === '') wrong.push('no title');
  if (problem.status !== response.statusCode) wrong.push(`status ${String(problem.status)} differs from the HTTP status`);
  if (typeof problem.requestId !== 'string' || problem.requestId !== response.headers['x-request-id'])
    wrong.push('requestId missing or not the x-request-id');
  return wrong;
}

/** (b) The FHIR endpoints answer a 4xx as a FHIR OperationOutcome, each issue with its severity and code. */
export function operationOutcomeViolations(response: LightMyRequestResponse): string[] {
  const type = String(response.headers['content-type'] ?? '');
  const outcome = parsed(response);
  const wrong: string[] = [];
  if (!type.startsWith('application/fhir+json')) wrong.push(`content-type is "${type}", not application/fhir+json`);
  if (outcome?.resourceType !== 'OperationOutcome') return [...wrong, 'not an OperationOutcome'];
  const issues = Array.isArray(outcome.issue) ? (outcome.issue as Record<string, unknown>[]) : [];
  if (issues.length === 0) wrong.push('no issue');
  if (issues.some((issue) => typeof issue.severity !== 'string' || typeof issue.code !== 'string'))
    wrong.push('an issue without severity or code');
  return wrong;
}

/** (b) The token endpoint answers a 4xx as RFC 6749 §5.2 JSON instead. */
export function oauthErrorViolations(response: LightMyRequestResponse): string[] {
  const type = String(response.headers['content-type'] ?? '');
  const error = parsed(response);
  const wrong: string[] = [];
  if (!type.startsWith('application/json')) wrong.push(`content-type is "${type}", not application/json`);
  if (typeof error?.error !== 'string' || error.error === '') wrong.push('no error code');
  if (typeof error?.error_description !== 'string') wrong.push('no error_description');
  return wrong;
}

/** The message and the first stack frame logged for a request that failed with a 5xx. */
export function loggedFailure(logs: string, requestId: string): string {
  for (const line of logs.split('\n')) {
    if (!line.includes(`"reqId":"${requestId}"`) || !line.includes('"err"')) continue;
    const entry = JSON.parse(line) as { err?: { type?: string; message?: string; stack?: string } };
    const frames = (entry.err?.stack ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('at '));
    // The top frame may be inside Node or a library: the first frame of the service's own code says where to look.
    const own = frames.find((f) => f.includes('/src/'));
    const where = [frames[0] ?? '(no stack)', ...(own && own !== frames[0] ? [`first in src: ${own}`] : [])].join('; ');
    return `${entry.err?.type ?? 'Error'}: ${entry.err?.message?.slice(0, 300)} — top frame ${where}`;
  }
  return '(nothing logged for this request id)';
}

/** Schemas a value may follow: every alternative of anyOf / oneOf / allOf, with $refs followed. */
function alternatives(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): JsonSchema[] {
  const s = resolve(schema);
  const parts = s.anyOf ?? s.oneOf ?? s.allOf;
  return parts ? parts.flatMap((p) => alternatives(p, resolve)) : [s];
}

function childSchema(schemas: JsonSchema[], key: string | number): JsonSchema {
  for (const s of schemas) {
    if (typeof key === 'number' && s.items) return s.items;
    if (typeof key === 'string' && s.properties?.[key]) return s.properties[key];
    if (typeof key === 'string' && typeof s.additionalProperties === 'object') return s.additionalProperties;
  }
  // A key the schema does not name, yet accepted: the caller's own text, kept as given.
  return {};
}

/**
 * (d) Text a successful request sent, compared with what was stored: every string of a text field
 * (and every object key) must come back unchanged. Surrounding whitespace may be trimmed: the
 * registry trims names and places on purpose. Lists of strings are compared as sets (members and
 * item codes are de-duplicated); lists of objects element by element.
 */
export function textMismatches(
  sent: unknown,
  stored: unknown,
  schema: JsonSchema,
  resolve: (s: JsonSchema) => JsonSchema,
  path = '',
): string[] {
  if (sent instanceof RawJson || sent === undefined) return [];
  const schemas = alternatives(schema, resolve);
  const at = (key: string | number) => (path ? `${path}.${key}` : String(key));
  if (typeof sent === 'string') {
    const text = schemas.some((s) => isText(s) || Object.keys(s).length === 0);
    if (!text || stored === sent || (typeof stored === 'string' && stored === sent.trim())) return [];
    return [
      `${path || '(body)'}: sent ${describe(sent)}, stored ${typeof stored === 'string' ? describe(stored) : JSON.stringify(stored)}`,
    ];
  }
  if (Array.isArray(sent)) {
    const list = Array.isArray(stored) ? stored : [];
    return sent.flatMap((element, i) => {
      const counterpart = typeof element === 'string' && list.includes(element) ? element : list[i];
      return textMismatches(element, counterpart, childSchema(schemas, i), resolve, at(i));
    });
  }
  if (sent !== null && typeof sent === 'object') {
    const record = (stored !== null && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
    return Object.entries(sent).flatMap(([key, value]) =>
      key in record || value === undefined
        ? textMismatches(value, record[key], childSchema(schemas, key), resolve, at(key))
        : [`${at(describe(key))}: sent, but not stored`],
    );
  }
  return [];
}

/** A string for a failure message: short, with every unusual character escaped. */
export function describe(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 30)}…(${text.length} chars)…${text.slice(-10)}` : text;
  return JSON.stringify(shown).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
