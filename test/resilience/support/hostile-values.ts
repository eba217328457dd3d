// Values the hostile-input fuzz tries, derived from a JSON schema: wrong types, operator objects,
// prototype keys, broken bounds and patterns, huge strings, text that is not text (issue 21) and
// unicode that is.
import { satisfies } from './hostile-classify.ts';
import type { JsonSchema } from './openapi.ts';

export type Candidate = { label: string; value: unknown } | { label: string; raw: string };

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function allowedTypes(schema: JsonSchema): Set<string> | undefined {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) {
    const all = new Set<string>();
    for (const option of options) {
      const types = allowedTypes(option);
      if (!types) return undefined;
      for (const t of types) all.add(t);
    }
    return all;
  }
  if (schema.const !== undefined) return new Set([jsonType(schema.const)]);
  if (schema.enum) return new Set(schema.enum.map(jsonType));
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length === 0) {
    if (schema.properties || schema.additionalProperties !== undefined) return new Set(['object']);
    if (schema.items) return new Set(['array']);
    return undefined;
  }
  const set = new Set(types);
  if (set.has('number')) set.add('integer');
  return set;
}

/** The branch of a union the baseline value takes (its bounds are the ones to break). */
export function branchOf(schema: JsonSchema, value: unknown): JsonSchema {
  const options = schema.anyOf ?? schema.oneOf;
  if (!options) return schema;
  return options.find((o) => value !== undefined && satisfies(o, value)) ?? options[0]!;
}

export const WRONG_TYPES: [string, string, unknown][] = [
  ['string', 'a string', 'text'],
  ['string', 'a numeric string', '42'],
  ['integer', 'a number', 42],
  ['number', 'a fraction', 4.5],
  ['boolean', 'a boolean', true],
  ['null', 'null', null],
  ['array', 'an array', ['x']],
  ['object', 'an object', { x: 1 }],
];

export const OPERATORS: [string, unknown][] = [
  ['$gt operator', { $gt: '' }],
  ['$where operator', { $where: 'sleep(2000) || true' }],
  ['$ne operator', { $ne: null }],
  ['$regex operator', { $regex: '.*', $options: 'si' }],
];

export const PROTO_RAW: [string, string][] = [
  ['__proto__ object', '{"__proto__":{"polluted":true}}'],
  ['constructor.prototype object', '{"constructor":{"prototype":{"polluted":true}}}'],
];

const PATTERN_BREAKERS = ['', ' ', 'UPPER', 'with space', '-leading', 'trailing-', 'a--b', '../../etc/passwd', '<script>alert(1)</script>', "' OR '1'='1", '$where', '{"$gt":""}', 'ÿ'];

/** The first of a few characters that fits the pattern, to build over-long strings that only break the length. */
function filler(schema: JsonSchema): string {
  if (!schema.pattern) return 'a';
  const re = new RegExp(schema.pattern);
  return ['a', '1', 'A', 'x'].find((c) => re.test(c.repeat(3))) ?? 'a';
}

/** What is not text (issue 21): control characters, noncharacters of the BMP and of other planes. */
export const NOT_TEXT: [string, string][] = [
  ['NUL', '\u0000'],
  ['BEL', '\u0007'],
  ['ESC sequence (clear screen)', '\u001b[2J'],
  ['vertical tab', '\u000b'],
  ['CR LF header injection', '\r\nX-Injected: 1'],
  ['DEL', '\u007f'],
  ['NEL (C1)', '\u0085'],
  ['CSI (C1)', '\u009b31m'],
  ['noncharacter U+FDD0', '\ufdd0'],
  ['noncharacter U+FFFE', '\ufffe'],
  ['noncharacter U+FFFF', '\uffff'],
  ['noncharacter U+1FFFE', '\u{1fffe}'],
  ['noncharacter U+10FFFF', '\u{10ffff}'],
];

/** Tab and newline: text where the document allows several lines, refused where it says one line. */
const LINE_BREAKS: [string, string][] = [
  ['tab', '\t'],
  ['newline', '\n'],
];

/** JSON escapes of lone surrogates: high, low, and a pair in the wrong order. */
const LONE_SURROGATE_ESCAPES: [string, string][] = [
  ['lone high surrogate', '\\ud800'],
  ['lone low surrogate', '\\udfff'],
  ['surrogates in the wrong order', '\\udc00\\ud83d'],
];

/** `value` split after its first character (never inside a surrogate pair). */
function halves(value: string): [string, string] {
  const [first = '', ...rest] = value;
  return [first, rest.join('')];
}

/** `inserted` after the first character of `value`. */
export function splice(value: string, inserted: string): string {
  const [first, rest] = halves(value);
  return `${first}${inserted}${rest}`;
}

export const HUGE = { body: 20_000, query: 10_000, path: 5_000 } as const;

export function stringCandidates(schema: JsonSchema, value: string | undefined, where: keyof typeof HUGE): Candidate[] {
  const out: Candidate[] = [];
  const fill = filler(schema);
  const sample = value ?? fill.repeat(Math.max(schema.minLength ?? 1, 3));
  if (schema.minLength !== undefined && schema.minLength > 0) out.push({ label: `shorter than minLength ${schema.minLength}`, value: fill.repeat(schema.minLength - 1) });
  if (schema.maxLength !== undefined) {
    out.push({ label: `longer than maxLength ${schema.maxLength}`, value: fill.repeat(schema.maxLength + 1) });
    out.push({ label: `huge: ${Math.max(HUGE[where], schema.maxLength * 20)} chars`, value: fill.repeat(Math.max(HUGE[where], schema.maxLength * 20)) });
  }
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    const breakers = [...new Set([...PATTERN_BREAKERS, sample.toUpperCase(), `${sample}\n`, ` ${sample}`, `${sample}!`])].filter((s) => !re.test(s));
    for (const s of breakers.slice(0, 10)) out.push({ label: `breaks pattern: ${JSON.stringify(s).slice(0, 30)}`, value: s });
  }
  if (schema.enum) {
    const first = String(schema.enum[0]);
    for (const s of [...new Set(['not-in-enum', first.toUpperCase(), `${first} `, ''])].filter((s) => !schema.enum!.includes(s))) {
      out.push({ label: `not in enum: ${JSON.stringify(s)}`, value: s });
    }
  }
  if (schema.const !== undefined) out.push({ label: 'not the const', value: `${String(schema.const)}x` });
  // Unicode that is text: inside the bounds of a free-text field these are valid (and kept, in NFC).
  out.push(
    { label: 'unicode: emoji', value: `${sample}🛒🔥` },
    { label: 'unicode: RTL override', value: `\u202E${sample}` },
    { label: 'unicode: zero-width', value: `${sample}\u200B\u200D\uFEFF` },
    { label: 'unicode: combining (decomposed)', value: `${sample}e\u0301` },
    { label: 'unicode: replacement character', value: `${sample}\uFFFD` },
    { label: 'unicode: U+10FFFD, next to a noncharacter', value: `${sample}\u{10FFFD}` },
  );
  // Not text, in the middle of a value (so no trimming takes it away): every string refuses it.
  for (const [label, s] of NOT_TEXT) out.push({ label: `not text: ${label}`, value: splice(sample, s) });
  for (const [label, s] of LINE_BREAKS) out.push({ label: `line break: ${label}`, value: splice(sample, s) });
  // Lone surrogates exist in JSON text only (a URL carries UTF-8, where they cannot be written).
  if (where === 'body') {
    const [first, rest] = halves(sample);
    const inner = (s: string): string => JSON.stringify(s).slice(1, -1);
    for (const [label, escape] of LONE_SURROGATE_ESCAPES) out.push({ label: `not text: ${label}`, raw: `"${inner(first)}${escape}${inner(rest)}"` });
  }
  return out;
}

/** Regex-hostile and otherwise pathological strings for free-text search-like parameters. */
export const PATHOLOGICAL = [
  '(a+)+$',
  '(a|aa)+$',
  '(.*a){20}',
  '.*.*.*.*.*.*.*.*.*.*!',
  '[',
  ')',
  '\\',
  '*',
  '?',
  '^$|',
  'a{1,100000}',
  '((((((((((((((((((((a))))))))))))))))))))',
  `'"\`;--`,
  '%',
  '+',
  '&&||',
  '\u0000',
  ' '.repeat(200),
  'a'.repeat(200),
  'a '.repeat(100),
  '🛒'.repeat(50),
  'e\u0301'.repeat(100),
  '\u202Egnp.exe',
  'a'.repeat(10_000),
  `${'(a+)+'.repeat(33)}b`,
  'ab'.repeat(5_000),
];

export function numberCandidates(schema: JsonSchema, value: number | undefined): Candidate[] {
  const out: Candidate[] = [];
  if (schema.minimum !== undefined) out.push({ label: `below minimum ${schema.minimum}`, value: schema.minimum - 1 });
  if (schema.maximum !== undefined) out.push({ label: `above maximum ${schema.maximum}`, value: schema.maximum + Math.max(1, Math.abs(schema.maximum) * 1e-9) });
  if (schema.type === 'integer') out.push({ label: 'not an integer', value: (value ?? 1) + 0.5 }, { label: 'beyond safe integers', raw: '9007199254740993' });
  out.push({ label: 'overflows to Infinity', raw: '1e400' }, { label: 'overflows to -Infinity', raw: '-1e400' });
  return out;
}
