import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import codegen from 'kysely-codegen';

const { generate, JsonColumnTypeNode, Logger, PostgresDialect, RawExpressionNode } = codegen;

export const schemaFile = fileURLToPath(new URL('../src/db/schema.ts', import.meta.url));

/** A JSON column's TypeScript shape: selected parsed, written as JSON text. */
const json = (shape: string) => new JsonColumnTypeNode(new RawExpressionNode(shape));

/**
 * The column types the catalog cannot tell: the shape of each JSON column, and the values a check
 * constraint allows where the code relies on them.
 */
const overrides = {
  columns: {
    'audit_events.outcome': new RawExpressionNode(`Generated<'success' | 'refused' | 'failed'>`),
    'audit_events.query': json('Record<string, unknown>'),
    'clients.jwks': json('{ keys: Record<string, unknown>[] }'),
    'idempotency_keys.response': json('Record<string, unknown>'),
    'items.prices': json('Record<string, number>'),
    'recalls.cause': new RawExpressionNode(`'amended' | 'withdrawn' | 'certification'`),
    'recalls.recognitions': json('RecallRecognition[]'),
    'recognition_checks.context': json('Record<string, boolean>'),
    'result_versions.content': json('Record<string, unknown>'),
    'results.analytes': json('AnalyteValue[]'),
    'results.equipment': json('Record<string, unknown>'),
    'signing_keys.public_jwk': json('Record<string, unknown>'),
    'webhook_deliveries.payload': json('Record<string, unknown>'),
    'webhook_deliveries.status': new RawExpressionNode(`Generated<'pending' | 'delivered' | 'failed'>`),
  },
};

/**
 * src/db/schema.ts as kysely-codegen writes it from a migrated database: every table and view, with
 * the types both drivers return (int8 and numeric as numbers, date as its 'YYYY-MM-DD' text; see
 * src/db/connection-tools.ts).
 */
export async function schemaTypes(db: Kysely<any>): Promise<string> {
  return generate({
    db,
    dialect: new PostgresDialect({ dateParser: 'string', numericParser: 'number' }),
    typeMapping: { int8: 'number' },
    excludePattern: 'kysely_*',
    customImports: { AnalyteValue: './json-columns.ts', RecallRecognition: './json-columns.ts' },
    overrides,
    outFile: null,
    print: false,
    logger: new Logger('silent'),
  });
}
