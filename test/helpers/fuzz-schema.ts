import fc from 'fast-check';

/**
 * JSON Schema (as @fastify/swagger writes the OpenAPI 3.1 document) → fast-check arbitraries, so
 * the fuzz suite derives its bodies, path parameters and query strings from the routes' own schemas
 * and follows them when a route changes. Only the keywords the document uses are understood.
 */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  minProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/**
 * Realistic values for a property of this name, or for a schema component of this name, when the
 * schema suits (else undefined). `derived` is what the schema alone generates, for hints that
 * repair it rather than replace it.
 */
export type Hint = (schema: JsonSchema, derived: fc.Arbitrary<unknown>) => fc.Arbitrary<unknown> | undefined;

const DAY_MS = 86_400_000;
// Generated collections stay small: the hostile sizes come from the mutations, not from here.
const maxGenerated = 3;
const int32 = 2 ** 31 - 1;

export function createSchemaArbitraries(document: unknown, hints: Record<string, Hint>) {
  /** Follows a local `$ref` ("#/components/schemas/X") to the schema it names. */
  function resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    while (current.$ref) {
      let node: unknown = document;
      for (const segment of current.$ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[segment];
      if (!node) throw new Error(`unresolved $ref ${current.$ref}`);
      current = node as JsonSchema;
    }
    return current;
  }

  /** allOf of object schemas, as one schema: their properties and required keys together. */
  function merge(parts: JsonSchema[]): JsonSchema {
    return parts.map(resolve).reduce((all, part) => ({
      ...all,
      ...part,
      properties: { ...all.properties, ...part.properties },
      required: [...(all.required ?? []), ...(part.required ?? [])],
    }));
  }

  function arbitrary(schema: JsonSchema, name?: string): fc.Arbitrary<unknown> {
    const component = schema.$ref?.split('/').pop();
    const resolved = resolve(schema);
    const derived = fromSchema(resolved);
    const hint = (name === undefined ? undefined : hints[name]) ?? (component === undefined ? undefined : hints[component]);
    const hinted = hint?.(resolved, derived);
    // Mostly the realistic value, so that requests get past the first refusal and reach deeper code.
    return hinted ? fc.oneof({ arbitrary: hinted, weight: 3 }, { arbitrary: derived, weight: 1 }) : derived;
  }

  function fromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
    if (schema.nullable) return fc.option(fromSchema({ ...schema, nullable: false }), { nil: null });
    if ('const' in schema) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.allOf) return schema.allOf.length === 1 ? arbitrary(schema.allOf[0]) : arbitrary(merge(schema.allOf));
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives) return fc.oneof(...alternatives.map((s) => arbitrary(s)));
    if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => fromSchema({ ...schema, type })));
    switch (schema.type ?? (schema.properties ? 'object' : undefined)) {
      case 'object':
        return object(schema);
      case 'array':
        return array(schema);
      case 'string':
        return string(schema);
      case 'integer':
        return integer(schema);
      case 'number':
        return fc.double({
          min: schema.minimum ?? schema.exclusiveMinimum ?? -1e9,
          max: schema.maximum ?? schema.exclusiveMaximum ?? 1e9,
          minExcluded: schema.exclusiveMinimum !== undefined,
          maxExcluded: schema.exclusiveMaximum !== undefined,
          noNaN: true,
          noDefaultInfinity: true,
        });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      default:
        // {}: any JSON value at all.
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  function object(schema: JsonSchema): fc.Arbitrary<unknown> {
    const properties = schema.properties ?? {};
    const model = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, arbitrary(value, key)]));
    const known = fc.record(model, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
    const extra = schema.additionalProperties;
    if (extra === undefined || extra === false || Object.keys(properties).length > 0) return known;
    // A record: keys from propertyNames, values from additionalProperties.
    const keys = schema.propertyNames ? string(resolve(schema.propertyNames)) : fc.string({ minLength: 1, maxLength: 12 });
    const values = extra === true ? fc.jsonValue({ maxDepth: 2 }) : arbitrary(extra);
    return fc.dictionary(keys, values, { minKeys: schema.minProperties ?? 0, maxKeys: Math.max(schema.minProperties ?? 0, maxGenerated) });
  }

  function array(schema: JsonSchema): fc.Arbitrary<unknown> {
    const minLength = schema.minItems ?? 0;
    const maxLength = Math.min(schema.maxItems ?? maxGenerated, minLength + maxGenerated);
    return fc.array(schema.items ? arbitrary(schema.items) : fc.jsonValue({ maxDepth: 1 }), { minLength, maxLength });
  }

  return { resolve, arbitrary };
}

export type SchemaArbitraries = ReturnType<typeof createSchemaArbitraries>;

function string(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'date-time') return instant();
  if (schema.format === 'date') return recentDay();
  if (schema.format === 'uuid') return fc.uuid();
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 40, minLength + 40);
  if (schema.pattern) {
    return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
  }
  return fc.string({ minLength, maxLength });
}

function integer(schema: JsonSchema): fc.Arbitrary<number> {
  const min = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : (schema.minimum ?? -1000);
  const max = schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : (schema.maximum ?? 1_000_000);
  return fc.integer({ min: Math.max(min, -int32), max: Math.min(max, int32) });
}

/** An instant of the last few years (never in the future), in UTC or with a +08:00 offset. */
function instant(): fc.Arbitrary<string> {
  const now = Date.now();
  return fc
    .record({ at: fc.integer({ min: now - 5 * 365 * DAY_MS, max: now - 3_600_000 }), china: fc.boolean() })
    .map(({ at, china }) => (china ? `${new Date(at + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00` : new Date(at).toISOString()));
}

function recentDay(): fc.Arbitrary<string> {
  const now = Date.now();
  return fc.integer({ min: now - 400 * DAY_MS, max: now }).map((at) => new Date(at).toISOString().slice(0, 10));
}

/** The object schema of a route's parameters of one kind ("path" or "query"), from the OpenAPI operation. */
export function parameterSchema(
  parameters: { in: string; name: string; required?: boolean; schema: JsonSchema }[],
  where: string,
): JsonSchema | null {
  const chosen = parameters.filter((p) => p.in === where);
  if (chosen.length === 0) return null;
  return {
    type: 'object',
    properties: Object.fromEntries(chosen.map((p) => [p.name, p.schema])),
    required: chosen.filter((p) => p.required).map((p) => p.name),
  };
}

/** A text field: a string the caller writes freely (not a date, id format, enum or constant). */
export function isText(schema: JsonSchema): boolean {
  const types = [schema.type ?? []].flat();
  return types.includes('string') && !schema.format && !schema.enum && !('const' in schema);
}
