import fc from 'fast-check';

/**
 * Hostile values, and how they are written into a JSON body, a form, a query string or a path.
 * A mutation is a small description (what to put where), turned into text only when the request is
 * built: a failing case then prints as `{kind: 'long', length: 2000000}` rather than as 2 MB of text.
 */
export type Extreme = 'max' | 'min' | 'beyond-js' | 'impossible-day' | 'before-1900';

export type Hostile =
  | { kind: 'deep'; shape: 'array' | 'object'; depth: number }
  | { kind: 'long'; length: number; char: string }
  | { kind: 'unicode'; text: string; placement: 'replace' | 'prefix' | 'suffix' }
  | { kind: 'wrong-type'; value: null | boolean | number | string | object }
  | { kind: 'date'; extreme: Extreme }
  | { kind: 'number'; text: string }
  | { kind: 'extra-key'; key: string }
  | { kind: 'prototype'; key: '__proto__' | 'constructor' }
  | { kind: 'missing' };

type Path = (string | number)[];
export type Fields = Record<string, string | string[]>;

/** A value written into the JSON text as is: a number JSON.stringify cannot spell, or a nesting built iteratively. */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

// Lone and reversed surrogates, NUL, C0 and C1 controls, bidi overrides and isolates, zero-width characters.
const nasties = [
  '\ud800',
  '\udfff',
  'a\udbffz',
  '\udc00\ud800',
  '\u0000',
  'a\u0000b',
  '\u0001',
  '\u0008',
  '\u001b[31m',
  '\u001f',
  '\u007f',
  '\u0080',
  '\u0085',
  '\u009b',
  '\u009f',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200b',
  '\ufeff',
  '\u2028',
];
/** Each extreme as a date and as a date-time: the last day there is, year 0, past JavaScript's range, 30 February, before 1900. */
const extremeDates: Record<Extreme, [string, string]> = {
  max: ['9999-12-31', '9999-12-31T23:59:59Z'],
  min: ['0000-01-01', '0000-01-01T00:00:00Z'],
  'beyond-js': ['+275760-09-13', '+275760-09-13T00:00:00Z'],
  'impossible-day': ['2026-02-30', '2026-02-30T00:00:00Z'],
  'before-1900': ['1899-12-31', '1899-12-31T23:59:59Z'],
};
export const extremes = Object.keys(extremeDates) as Extreme[];
// 2**53+1 and 1e400 cannot be written by JSON.stringify: they travel as raw text.
const extremeNumbers = ['1e308', '-1e308', '9007199254740993', '-0', '1e400', '-9007199254740993', '0.5', '-1', '4294967296'];
const wrongTypes = [null, true, 0, 42, '', '42', {}, [], [[]], { a: 1 }];

// Unicode comes up most: it is the mutation most often accepted, and so the one that can be stored altered.
export const hostileArbitrary: fc.Arbitrary<Hostile> = fc.oneof(
  fc.record({
    kind: fc.constant('deep' as const),
    shape: fc.constantFrom('array' as const, 'object' as const),
    depth: fc.constantFrom(100, 1_000, 10_000),
  }),
  fc.record({
    kind: fc.constant('long' as const),
    length: fc.constantFrom(65, 201, 20_001, 1_100_000, 2_000_000),
    char: fc.constantFrom('x', 'é', '汉', '\ud83d\ude00'),
  }),
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('unicode' as const),
      text: fc.constantFrom(...nasties),
      placement: fc.constantFrom('replace' as const, 'prefix' as const, 'suffix' as const),
    }),
  },
  fc.record({ kind: fc.constant('wrong-type' as const), value: fc.constantFrom(...wrongTypes) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('date' as const), extreme: fc.constantFrom(...extremes) }) },
  fc.record({ kind: fc.constant('number' as const), text: fc.constantFrom(...extremeNumbers) }),
  fc.record({ kind: fc.constant('extra-key' as const), key: fc.constantFrom('unexpected', 'isAdmin', '\ud800', '', 'a'.repeat(300)) }),
  fc.record({ kind: fc.constant('prototype' as const), key: fc.constantFrom('__proto__' as const, 'constructor' as const) }),
  fc.constant({ kind: 'missing' as const }),
);

/** Nesting built as text in a loop: a recursive builder would itself overflow at depth 10,000. */
function deepText(shape: 'array' | 'object', depth: number): string {
  return shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof RawJson);
}

const looksLikeDate = (value: unknown): value is string => typeof value === 'string' && /^[+-]?\d{4,6}-\d\d-\d\d(T|$)/.test(value);

/** Whether a body holds a date anywhere (an extreme date then has somewhere to go). */
export const holdsDates = (body: unknown): boolean => pathsOf(body).some((path) => looksLikeDate(valueAt(body, path)));

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const children = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : isObject(value) ? Object.entries(value) : [];
  return [prefix, ...children.flatMap(([key, child]) => pathsOf(child, [...prefix, key]))];
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
    value,
  );
}

/** The hostile value that replaces `original` in a JSON body. */
function replacement(hostile: Hostile, original: unknown): unknown {
  switch (hostile.kind) {
    case 'deep':
      return new RawJson(deepText(hostile.shape, hostile.depth));
    case 'long':
      return hostile.char.repeat(Math.ceil(hostile.length / hostile.char.length));
    case 'unicode': {
      const base = typeof original === 'string' ? original : 'x';
      return hostile.placement === 'prefix' ? hostile.text + base : hostile.placement === 'suffix' ? base + hostile.text : hostile.text;
    }
    case 'wrong-type':
      return structuredClone(hostile.value);
    case 'date':
      // The form of the value replaced: a date stays a date, anything else becomes a date-time.
      return extremeDates[hostile.extreme][looksLikeDate(original) && !original.includes('T') ? 0 : 1];
    case 'number':
      return new RawJson(hostile.text);
    case 'extra-key':
      return isObject(original) ? { ...original, [hostile.key]: 'x' } : { [hostile.key]: 'x' };
    case 'prototype': {
      const rest = isObject(original) ? JSON.stringify(original).slice(1) : '}';
      const payload = hostile.key === '__proto__' ? '{"isAdmin":true}' : '{"prototype":{"isAdmin":true}}';
      return new RawJson(`{"${hostile.key}":${payload}${rest === '}' ? '' : ','}${rest}`);
    }
    case 'missing':
      return undefined;
  }
}

/** A copy of `value` with the hostile value at `path` (a missing value deletes the key, or the array element). */
function mutateAt(value: unknown, path: Path, hostile: Hostile): unknown {
  if (path.length === 0) return replacement(hostile, value);
  const copy: unknown = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const [head, ...rest] = path;
  const container = copy as Record<string | number, unknown>;
  const next = mutateAt(container[head], rest, hostile);
  if (next !== undefined) container[head] = next;
  else if (Array.isArray(copy)) copy.splice(Number(head), 1);
  else delete container[head];
  return copy;
}

/**
 * A body with one hostile value, at the path `pick` names: a leaf three times as often as an object
 * or a list, where most fields are. An extreme date goes to every date of the body at once: dates
 * come in pairs (from and to, performedAt and reportedAt), and one extreme end alone is mostly
 * refused as a backwards or too long period before it reaches anything. Answers the mutated body
 * and where the mutation went.
 */
export function mutateBody(body: unknown, pick: number, hostile: Hostile): [unknown, string] {
  const paths = pathsOf(body);
  const dates = paths.filter((path) => looksLikeDate(valueAt(body, path)));
  if (hostile.kind === 'date' && dates.length > 0) {
    return [dates.reduce((mutated, path) => mutateAt(mutated, path, hostile), body), dates.map((p) => p.join('.')).join(', ')];
  }
  const leaves = paths.filter((path) => {
    const node = valueAt(body, path);
    return node === null || typeof node !== 'object';
  });
  const pool = [...paths, ...leaves, ...leaves];
  const path = pool[pick % pool.length];
  return [mutateAt(body, path, hostile), path.join('.') || '(body)'];
}

/**
 * The JSON text of a body holding RawJson values. JSON.stringify writes lone surrogates as `\ud800`
 * escapes (ES2019 well-formed stringify), so they reach the server exactly as a hostile client sends them.
 */
export function jsonText(value: unknown): string {
  if (value === undefined) return '';
  const raws: string[] = [];
  const marker = (i: number) => `@@raw-json-${i}@@`;
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof RawJson ? marker(raws.push(v.text) - 1) : v));
  return raws.reduce((out, raw, i) => out.split(JSON.stringify(marker(i))).join(raw), text);
}

/** The hostile value as the text of a form field, a query parameter or a path segment (a list: the key repeated). */
function hostileText(hostile: Hostile, original: string | undefined, format: string | undefined): string | string[] {
  switch (hostile.kind) {
    case 'deep':
      return deepText(hostile.shape, hostile.depth);
    case 'long':
      // A URL or form far past any field's limit, yet within what a proxy would pass on.
      return hostile.char.repeat(Math.min(hostile.length, 20_001));
    case 'wrong-type':
      return Array.isArray(hostile.value) ? ['a', 'b'] : JSON.stringify(hostile.value);
    case 'unicode':
      return replacement(hostile, original ?? 'x') as string;
    case 'date':
      return extremeDates[hostile.extreme][format === 'date' ? 0 : 1];
    case 'number':
      return hostile.text;
    case 'extra-key':
    case 'prototype':
    case 'missing':
      return '';
  }
}

/**
 * Form fields, query parameters or path parameters with one hostile value. `declared` names every
 * field the schema knows (with its format), present or not: a mutation may add an absent one. An
 * extreme date goes to every date field at once, as in a body; an extra key adds an unknown field.
 */
export function mutateFields(
  fields: Fields,
  declared: Record<string, string | undefined>,
  pick: number,
  hostile: Hostile,
): [Fields, string] {
  if (hostile.kind === 'extra-key' || hostile.kind === 'prototype') return [{ ...fields, [hostile.key]: 'x' }, hostile.key];
  const names = Object.keys(declared);
  const dates = names.filter((name) => declared[name] === 'date' || declared[name] === 'date-time');
  const chosen = hostile.kind === 'date' && dates.length > 0 ? dates : names.length > 0 ? [names[pick % names.length]] : [];
  const mutated = { ...fields };
  for (const name of chosen) {
    const original = mutated[name];
    delete mutated[name];
    if (hostile.kind !== 'missing')
      mutated[name] = hostileText(hostile, typeof original === 'string' ? original : undefined, declared[name]);
  }
  return [mutated, chosen.join(', ') || '(nothing)'];
}

/**
 * Percent-encoding that keeps lone surrogates (encodeURIComponent throws on them, URLSearchParams
 * turns them into U+FFFD): each UTF-16 code unit of a lone surrogate becomes its three WTF-8 bytes.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    const lone = char.length === 1 && unit >= 0xd800 && unit <= 0xdfff;
    const bytes = lone ? [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)] : [...Buffer.from(char, 'utf8')];
    out += /^[A-Za-z0-9._~-]$/.test(char) ? char : bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

/** application/x-www-form-urlencoded, and query strings: repeated keys for lists. */
export function formText(fields: Fields): string {
  return Object.entries(fields)
    .flatMap(([key, value]) => [value].flat().map((v) => `${percentEncode(key)}=${percentEncode(v)}`))
    .join('&');
}
