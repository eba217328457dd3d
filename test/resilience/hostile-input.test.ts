// Issue R9, hostile input: every operation the services document is fuzzed from its own OpenAPI
// document (read through nginx at test time, so a route added later is fuzzed without touching
// this file; one without a baseline below fails the suite). From each operation's JSON schemas,
// mutations of one valid baseline request: per property (missing, wrong types, out of bounds,
// MongoDB operator objects, prototype keys, huge strings, unicode), per whole body, per query
// string and per path parameter; then unkeyed headers aimed at the response cache. Every answer:
// below 500, a JSON error body (components.schemas.Error) when 4xx, and nothing internal in it.
// Inputs invalid by construction must get a 4xx and leave the database exactly as it was.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { z } from 'zod';
import { API_PREFIXES, documentedOperations, documentedSuccess, validator, type JsonSchema, type Parameter } from './support/openapi.ts';
import { rawClient, type RawClient, type Reply } from './support/raw-http.ts';
import { resilienceStack, type ResilienceStack } from './support/resilience-stack.ts';
import { fingerprint, seededFixtures, type SeededFixtures } from './support/seeded-fixtures.ts';

const CONCURRENCY = 8;

// ---------------------------------------------------------------------------------------------
// The operations, from the documents

interface Operation {
  id: string;
  /** The API it belongs to: its prefix, e.g. /api/orders. */
  api: string;
  method: string;
  /** OpenAPI path template under the prefix, e.g. /products/{id}. */
  template: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: JsonSchema;
  /** Role the fuzz signs in with: customer when the operation lets customers in, else admin. */
  role?: 'customer' | 'admin';
  /** The documented 2xx answer. */
  success: number;
  /** Cached GETs document 304 (ETag revalidation). */
  cached: boolean;
  errorSchema: z.ZodType;
}

const satisfies = (schema: JsonSchema, value: unknown): boolean => validator(schema).safeParse(value).success;

// ---------------------------------------------------------------------------------------------
// Baselines: one valid request per operationId, from the seeded data

/** The fuzz customer's orders: A is read and advanced, B cancelled. */
interface Fixtures extends SeededFixtures {
  orderA: string;
  orderB: string;
}

interface Baseline {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Request headers the operation reads, with the rule their values must follow. */
  headerRules?: Record<string, RegExp>;
  /** Query strings with the same answer as `query` but another cache key (cache-poisoning probes). */
  equivalents?: Record<string, string>[];
  /** Values worth trying for a parameter beyond what its schema suggests. */
  extraQueryValues?: Record<string, string[]>;
}

const run = randomBytes(3).toString('hex');
let serial = 0;
const unique = (): string => `${run}-${++serial}`;
const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const CRAFTED_CURSORS = [
  cursorOf({ c: { $gt: '' }, i: { $ne: null } }),
  cursorOf({ c: '2020-01-01T00:00:00.000Z', i: 'ffffffffffffffffffffffff', $where: 'sleep(2000)' }),
  cursorOf({ c: '+275760-09-13T00:00:00.000Z', i: '000000000000000000000000' }),
  cursorOf({ c: '0', i: '0'.repeat(24) }),
  cursorOf({ __proto__: { polluted: true }, c: '2020-01-01', i: 'a'.repeat(24) }),
  Buffer.from('{"c":"2020-01-01","i":"aaaaaaaaaaaaaaaaaaaaaaaa","__proto__":{"x":1}}').toString('base64url'),
  'not base64 !!',
  '%%%',
];

const queries = (...list: Record<string, string>[]): Record<string, string>[] => list;

const BASELINES: Record<string, (fx: Fixtures) => Baseline> = {
  // Catalog
  listCategories: () => ({}),
  getCategory: (fx) => ({ params: { slug: fx.categorySlug } }),
  createCategory: () => ({ body: { slug: `hostile-${unique()}`, name: 'Hostile Input Test' } }),
  listProducts: (fx) => ({
    query: { category: fx.categorySlug, brand: fx.brand, minPrice: '0', maxPrice: '100000000', inStock: 'true', sort: 'price', page: '1', limit: '5' },
    equivalents: queries({}, { page: '1' }, { limit: '20' }, { sort: 'popularity' }, { page: '1', limit: '20' }, { page: '1', sort: 'popularity' }, { limit: '20', sort: 'popularity' }, { page: '1', limit: '20', sort: 'popularity' }),
  }),
  getProductBySku: (fx) => ({ params: { sku: fx.sku } }),
  getProduct: (fx) => ({ params: { id: fx.productId } }),
  createProduct: (fx) => ({
    body: {
      sku: `HOSTILE-${unique()}`,
      name: 'Hostile Input Lamp',
      description: 'Made by the hostile-input suite.',
      brand: 'Fuzzco',
      category: fx.categorySlug,
      priceCents: 1999,
      currency: 'EUR',
      attributes: { color: 'red', weightKg: 1.5, wireless: true },
      images: [{ url: 'https://img.example.com/lamp.webp', alt: 'A lamp' }],
      rating: { average: 4.5, count: 10 },
      popularity: 5,
    },
  }),
  updateProduct: (fx) => ({
    params: { id: fx.writeProductId },
    body: { name: 'Hostile Input Renamed', priceCents: 2599, attributes: { color: 'blue' }, images: [{ url: '/img/renamed.webp' }], rating: { average: 3, count: 2 } },
  }),
  deleteProduct: (fx) => ({ params: { id: fx.deleteProductId } }),
  getProductStock: (fx) => ({ params: { id: fx.productId } }),
  setStock: (fx) => ({ params: { id: fx.writeProductId, warehouse: fx.warehouse }, body: { quantity: 42 } }),
  // Performance (served by the catalog)
  performanceSummary: () => ({}),
  reportVitals: () => ({ body: { page: 'product', metrics: [{ name: 'LCP', value: 1200 }, { name: 'CLS', value: 0.05 }] } }),
  // Orders
  startDemoSession: () => ({ body: {} }),
  placeOrder: (fx) => ({
    body: { items: [{ productId: fx.orderProductId, quantity: 1 }] },
    headers: { 'idempotency-key': `hostile-${unique()}` },
    headerRules: { 'idempotency-key': /^[A-Za-z0-9_.-]{8,100}$/ },
  }),
  listMyOrders: () => ({ query: { limit: '5' }, extraQueryValues: { cursor: CRAFTED_CURSORS } }),
  getOrder: (fx) => ({ params: { id: fx.orderA } }),
  cancelOrder: (fx) => ({ params: { id: fx.orderB } }),
  advanceOrder: (fx) => ({ params: { id: fx.orderA }, body: { status: 'paid' } }),
  listOrdersByStatus: () => ({ params: { status: 'pending' }, query: { limit: '5' }, extraQueryValues: { cursor: CRAFTED_CURSORS } }),
  // Search
  searchProducts: (fx) => ({
    query: { q: 'desk chair', category: fx.categorySlug, brand: fx.brand, minPrice: '0', maxPrice: '100000000', inStock: 'true', sort: 'relevance', page: '1', limit: '10' },
    equivalents: queries({ q: 'desk' }, { q: 'desk', page: '1' }, { q: 'desk', limit: '20' }, { q: 'desk', page: '1', limit: '20' }),
  }),
  suggest: () => ({ query: { q: 'des', limit: '5' }, equivalents: queries({ q: 'des' }, { q: 'des', limit: '5' }) }),
};

// ---------------------------------------------------------------------------------------------
// Cases

type Expectation = 'invalid' | 'weird';

interface Case {
  op: Operation;
  /** What was mutated and how, e.g. "body.priceCents: above maximum". */
  label: string;
  group: 'body' | 'whole body' | 'query' | 'path' | 'header';
  /** invalid: a 4xx is required; weird: valid by the documents, anything below 500 will do. */
  expect: Expectation;
  /** An exact status, when the contract names one (413 for oversize bodies). */
  status?: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

interface Outcome {
  c: Case;
  reply: Reply;
}

let env: ResilienceStack;
let client: RawClient;
let fx: Fixtures;
let operations: Operation[];
let tokens: { customer: string; admin: string };
let before: Record<string, string>;

/** One request of `op` from a fresh baseline with some parts replaced. */
interface Draft {
  /** Raw (already encoded) path parameter values. */
  params?: Record<string, string>;
  /** Raw query string (no "?"); undefined keeps the baseline's. */
  query?: string;
  /** Raw body text; null sends none; undefined keeps the baseline's. */
  body?: string | Buffer | null;
  headers?: Record<string, string | undefined>;
}

const encodeQuery = (query: Record<string, string> | undefined): string => new URLSearchParams(query ?? {}).toString();

function request(op: Operation, base: Baseline, draft: Draft = {}): Pick<Case, 'method' | 'path' | 'headers' | 'body'> {
  const raw: Record<string, string> = {};
  for (const p of op.pathParams) raw[p.name] = encodeURIComponent(base.params?.[p.name] ?? '');
  Object.assign(raw, draft.params);
  const filled = op.template.replace(/\{([^}]+)\}/g, (_m, name: string) => raw[name] ?? '');
  const query = draft.query ?? encodeQuery(base.query);
  const path = `${op.api}${filled === '/' ? '' : filled}${query ? `?${query}` : ''}`;
  const body = draft.body === null ? undefined : (draft.body ?? (base.body === undefined ? undefined : JSON.stringify(base.body)));
  const headers: Record<string, string | undefined> = {
    ...(op.role ? { authorization: `Bearer ${tokens[op.role]}` } : {}),
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...base.headers,
    ...draft.headers,
  };
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) clean[name] = value;
  return { method: op.method.toUpperCase(), path, headers: clean, body };
}

// --- classification, independent of the services' code: the documents' schemas decide

const PROTO_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;

/** A MongoDB operator or prototype key anywhere, or nesting beyond 32 levels. */
function hostile(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_DEPTH) return true;
  for (const key of Object.keys(value)) {
    if (key.startsWith('$') || key.includes('[') || PROTO_NAMES.has(key)) return true;
    if (hostile((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/**
 * Every string trimmed. The schemas trim text fields before checking them (zod's .trim(), which
 * JSON Schema cannot say), so whitespace around an otherwise valid value is tolerated, not invalid.
 */
function trimmed(value: unknown): unknown {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value)) return value.map(trimmed);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) Object.defineProperty(out, key, { value: trimmed(v), enumerable: true, configurable: true, writable: true });
  return out;
}
const valid = (schema: JsonSchema, value: unknown): boolean => satisfies(schema, value) || satisfies(schema, trimmed(value));

function classifyBody(schema: JsonSchema, text: string | Buffer): Expectation {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString());
  } catch {
    return 'invalid';
  }
  if (parsed === null || typeof parsed !== 'object') return 'invalid';
  return hostile(parsed) || !valid(schema, parsed) ? 'invalid' : 'weird';
}

/** The query as the services read it (URLSearchParams; a repeated name becomes an array). */
function readQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    const seen = out[name];
    Object.defineProperty(out, name, {
      value: seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value],
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return out;
}

const querySchemas = new Map<Operation, JsonSchema>();
function querySchema(op: Operation): JsonSchema {
  const known = querySchemas.get(op);
  if (known) return known;
  const schema: JsonSchema = {
    type: 'object',
    properties: Object.fromEntries(op.queryParams.map((p) => [p.name, p.schema])),
    required: op.queryParams.filter((p) => p.required).map((p) => p.name),
    // Operations that declare query parameters refuse others (BAD_INPUT); the others ignore them.
    ...(op.queryParams.length > 0 ? { additionalProperties: false } : {}),
  };
  querySchemas.set(op, schema);
  return schema;
}

function classifyQuery(op: Operation, query: string): Expectation {
  if (query.split('&').length > 100) return 'invalid';
  const read = readQuery(query);
  return hostile(read) || !valid(querySchema(op), read) ? 'invalid' : 'weird';
}

function classifyPath(param: Parameter, raw: string): Expectation {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return 'invalid';
  }
  if (decoded.includes('/') || decoded === '') return 'invalid';
  return valid(param.schema, decoded) ? 'weird' : 'invalid';
}

// --- value generators

type Candidate = { label: string; value: unknown } | { label: string; raw: string };

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function allowedTypes(schema: JsonSchema): Set<string> | undefined {
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
function branchOf(schema: JsonSchema, value: unknown): JsonSchema {
  const options = schema.anyOf ?? schema.oneOf;
  if (!options) return schema;
  return options.find((o) => value !== undefined && satisfies(o, value)) ?? options[0]!;
}

const WRONG_TYPES: [string, string, unknown][] = [
  ['string', 'a string', 'text'],
  ['string', 'a numeric string', '42'],
  ['integer', 'a number', 42],
  ['number', 'a fraction', 4.5],
  ['boolean', 'a boolean', true],
  ['null', 'null', null],
  ['array', 'an array', ['x']],
  ['object', 'an object', { x: 1 }],
];

const OPERATORS: [string, unknown][] = [
  ['$gt operator', { $gt: '' }],
  ['$where operator', { $where: 'sleep(2000) || true' }],
  ['$ne operator', { $ne: null }],
  ['$regex operator', { $regex: '.*', $options: 'si' }],
];

const PROTO_RAW: [string, string][] = [
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

const HUGE = { body: 20_000, query: 10_000, path: 5_000 } as const;

function stringCandidates(schema: JsonSchema, value: string | undefined, where: keyof typeof HUGE): Candidate[] {
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
  // Unicode: inside the bounds of a free-text field these are valid (and may be stored).
  out.push(
    { label: 'unicode: emoji', value: `${sample}🛒🔥` },
    { label: 'unicode: RTL override', value: `\u202E${sample}` },
    { label: 'unicode: zero-width', value: `${sample}\u200B\u200D\uFEFF` },
    { label: 'unicode: NUL', value: `${sample}\u0000` },
    { label: 'unicode: combining', value: `${sample}e\u0301` },
    { label: 'CRLF', value: `${sample}\r\nX-Injected: 1` },
  );
  if (where === 'body') out.push({ label: 'unicode: lone surrogate', raw: `${JSON.stringify(sample).slice(0, -1)}\\ud800"` });
  return out;
}

/** Regex-hostile and otherwise pathological strings for free-text search-like parameters. */
const PATHOLOGICAL = [
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

function numberCandidates(schema: JsonSchema, value: number | undefined): Candidate[] {
  const out: Candidate[] = [];
  if (schema.minimum !== undefined) out.push({ label: `below minimum ${schema.minimum}`, value: schema.minimum - 1 });
  if (schema.maximum !== undefined) out.push({ label: `above maximum ${schema.maximum}`, value: schema.maximum + Math.max(1, Math.abs(schema.maximum) * 1e-9) });
  if (schema.type === 'integer') out.push({ label: 'not an integer', value: (value ?? 1) + 0.5 }, { label: 'beyond safe integers', raw: '9007199254740993' });
  out.push({ label: 'overflows to Infinity', raw: '1e400' }, { label: 'overflows to -Infinity', raw: '-1e400' });
  return out;
}

// --- body mutations: edits applied to a fresh baseline body

type Key = string | number;
type Edit =
  | { kind: 'set'; path: Key[]; value: unknown }
  | { kind: 'raw'; path: Key[]; raw: string }
  | { kind: 'delete'; path: Key[] }
  | { kind: 'insert'; path: Key[]; raw: string };

const HOLE = '@@hostile-hole@@';

function at(value: unknown, path: Key[]): unknown {
  let here = value;
  for (const key of path) here = (here as Record<Key, unknown>)[key];
  return here;
}

function render(body: unknown, edit: Edit): string {
  const copy = structuredClone(body);
  if (edit.kind === 'insert') {
    (at(copy, edit.path) as Record<string, unknown>)[HOLE] = HOLE;
    return JSON.stringify(copy).replace(`"${HOLE}":"${HOLE}"`, edit.raw);
  }
  const parent = at(copy, edit.path.slice(0, -1)) as Record<Key, unknown>;
  const last = edit.path.at(-1)!;
  if (edit.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else Reflect.deleteProperty(parent, last);
    return JSON.stringify(copy);
  }
  if (edit.kind === 'set') {
    parent[last] = edit.value;
    return JSON.stringify(copy);
  }
  parent[last] = HOLE;
  return JSON.stringify(copy).replace(`"${HOLE}"`, edit.raw);
}

const HOSTILE_MEMBERS: [string, string][] = [
  ['__proto__ key', '"__proto__":{"polluted":true}'],
  ['constructor key', '"constructor":{"prototype":{"polluted":true}}'],
  ['prototype key', '"prototype":{"polluted":true}'],
  ['$where key', '"$where":"sleep(2000) || true"'],
];

function* nodeEdits(schema: JsonSchema, value: unknown, path: Key[], depth: number): Generator<[string, Edit]> {
  const name = path.length ? path.join('.') : '(root)';
  const node = branchOf(schema, value);
  const set = (label: string, v: unknown): [string, Edit] => [`${name}: ${label}`, { kind: 'set', path, value: v }];
  const raw = (label: string, text: string): [string, Edit] => [`${name}: ${label}`, { kind: 'raw', path, raw: text }];
  if (path.length > 0) {
    const allowed = allowedTypes(schema);
    if (allowed) for (const [type, label, v] of WRONG_TYPES) if (!allowed.has(type)) yield set(`wrong type, ${label}`, v);
    for (const [label, v] of OPERATORS) yield set(label, v);
    for (const [label, text] of PROTO_RAW) yield raw(label, text);
  }
  const types = allowedTypes(node);
  if (types?.has('string')) {
    for (const c of stringCandidates(node, typeof value === 'string' ? value : undefined, 'body')) yield 'raw' in c ? raw(c.label, c.raw) : set(c.label, c.value);
  }
  if (types?.has('integer') || types?.has('number')) {
    for (const c of numberCandidates(node, typeof value === 'number' ? value : undefined)) yield 'raw' in c ? raw(c.label, c.raw) : set(c.label, c.value);
  }
  if (node.items || types?.has('array')) {
    const list = Array.isArray(value) ? value : undefined;
    if (node.minItems) yield set(`fewer than minItems ${node.minItems}`, []);
    if (node.maxItems !== undefined && list?.length) yield set(`more than maxItems ${node.maxItems}`, Array.from({ length: node.maxItems + 1 }, () => list[0]));
    if (list?.length) yield set('huge array: 10 000 items', Array.from({ length: 10_000 }, () => list[0]));
    if (node.items && list?.length && depth < 5) yield* nodeEdits(node.items, list[0], [...path, 0], depth + 1);
  }
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if ((node.properties || node.additionalProperties !== undefined) && isObject && depth < 5) {
    const object = value as Record<string, unknown>;
    for (const key of node.required ?? []) if (key in object) yield [`${path.length ? `${name}.` : ''}${key}: missing (required)`, { kind: 'delete', path: [...path, key] }];
    if (node.additionalProperties === false) yield [`${name}: unknown field`, { kind: 'insert', path, raw: '"zzzUnknown":1' }];
    for (const [label, member] of HOSTILE_MEMBERS) yield [`${name}: ${label}`, { kind: 'insert', path, raw: member }];
    for (const [key, property] of Object.entries(node.properties ?? {})) {
      if (key in object) yield* nodeEdits(property, object[key], [...path, key], depth + 1);
      else yield* absentEdits(property, [...path, key]);
    }
    if (typeof node.additionalProperties === 'object') {
      // A record: its keys follow propertyNames, its values the additionalProperties schema.
      const sampleValue = Object.values(object)[0] ?? 'x';
      for (const key of ['1bad', 'k'.repeat(41), 'has space', '$gt', 'constructor', 'toString', '']) {
        yield [`${name}: record key ${JSON.stringify(key).slice(0, 20)}`, { kind: 'insert', path, raw: `${JSON.stringify(key)}:${JSON.stringify(sampleValue)}` }];
      }
      yield* absentEdits(node.additionalProperties, [...path, 'extraKey']);
    }
  }
}

/** An optional property the baseline leaves out: given wrong values. */
function* absentEdits(schema: JsonSchema, path: Key[]): Generator<[string, Edit]> {
  const name = path.join('.');
  const node = branchOf(schema, undefined);
  const set = (label: string, v: unknown): [string, Edit] => [`${name} (absent in baseline): ${label}`, { kind: 'set', path, value: v }];
  const allowed = allowedTypes(schema);
  if (allowed) for (const [type, label, v] of WRONG_TYPES) if (!allowed.has(type)) yield set(`wrong type, ${label}`, v);
  for (const [label, v] of OPERATORS) yield set(label, v);
  yield [`${name} (absent in baseline): __proto__ object`, { kind: 'raw', path, raw: PROTO_RAW[0]![1] }];
  const types = allowedTypes(node);
  if (types?.has('string')) for (const c of stringCandidates(node, undefined, 'body')) if ('value' in c) yield set(c.label, c.value);
  if (types?.has('number') || types?.has('integer')) for (const c of numberCandidates(node, undefined)) yield 'raw' in c ? [`${name} (absent in baseline): ${c.label}`, { kind: 'raw', path, raw: c.raw }] : set(c.label, c.value);
  if (node.properties && (node.required ?? []).length) yield set('empty object', {});
  if (node.items && node.minItems) yield set('empty array', []);
}

// --- cases per operation

function bodyCases(op: Operation, fresh: () => Baseline): Case[] {
  const cases: Case[] = [];
  const add = (label: string, group: Case['group'], draft: Draft, expect: Expectation, status?: number): void => {
    cases.push({ op, label, group, expect, ...(status ? { status } : {}), ...request(op, fresh(), draft) });
  };
  const base = fresh();
  if (op.body) {
    const schema = op.body;
    for (const [label, edit] of nodeEdits(schema, base.body, [], 0)) {
      const b = fresh();
      const text = render(b.body, edit);
      cases.push({ op, label: `body.${label}`, group: 'body', expect: classifyBody(schema, text), ...request(op, b, { body: text }) });
    }
    const text = (): string => JSON.stringify(fresh().body);
    for (const bad of ['{', '{"a":1,}', "{'a':1}", 'NaN', '{"a":1} trailing', '\u0000', '{"a":"\\x"}', '{"a":1}{"b":2}']) {
      add(`invalid JSON ${JSON.stringify(bad)}`, 'whole body', { body: bad }, 'invalid');
    }
    for (const top of ['null', '123', '"a string"', 'true', '[]']) add(`top-level ${top}`, 'whole body', { body: top }, classifyBody(schema, top));
    add('top-level array around the baseline', 'whole body', { body: `[${text()}]` }, 'invalid');
    add('empty body', 'whole body', { body: '' }, satisfies(schema, {}) ? 'weird' : 'invalid');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json-patch+json', 'application/json; charset=utf-16', 'application/json; charset=latin1']) {
      add(`content-type ${type}`, 'whole body', { body: text(), headers: { 'content-type': type } }, 'invalid');
    }
    add('no content-type', 'whole body', { body: text(), headers: { 'content-type': undefined } }, 'invalid');
    add('content-type APPLICATION/JSON (uppercase)', 'whole body', { body: text(), headers: { 'content-type': 'APPLICATION/JSON' } }, 'weird');
    const deepArrays = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const deepObjects = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    add('deep nesting: 50 000 arrays', 'whole body', { body: `${text().slice(0, -1)}${text() === '{}' ? '' : ','}"deep":${deepArrays}}` }, 'invalid');
    add('deep nesting: 5 000 objects', 'whole body', { body: `${text().slice(0, -1)}${text() === '{}' ? '' : ','}"deep":${deepObjects}}` }, 'invalid');
    add('top-level deep nesting', 'whole body', { body: deepObjects }, 'invalid');
    const keys = Object.keys(base.body as object);
    if (keys.length > 0) {
      const key = keys[0]!;
      const t = text();
      // JSON.parse keeps the last of duplicate keys: hostile last is invalid, hostile first is not.
      add(`duplicate key "${key}", operator last`, 'whole body', { body: `${t.slice(0, -1)},"${key}":{"$gt":""}}` }, 'invalid');
      const valid = `{"${key}":{"$gt":""},${t.slice(1)}`;
      add(`duplicate key "${key}", operator first`, 'whole body', { body: valid }, classifyBody(schema, valid));
    }
    const padded = (bytes: number): string => `${text().slice(0, -1)}${text() === '{}' ? '' : ','}"pad":"${'a'.repeat(bytes)}"}`;
    add('1 MB body (over nginx 512 KB)', 'whole body', { body: padded(1_048_576) }, 'invalid', 413);
    add('510 KB body (under nginx, over the 500 KB service limit)', 'whole body', { body: padded(510 * 1024) }, 'invalid', 413);
    add('gzip-encoded valid body', 'whole body', { body: gzipSync(text()), headers: { 'content-encoding': 'gzip' } }, 'weird');
    add('gzip-encoded garbage', 'whole body', { body: 'not gzip at all', headers: { 'content-encoding': 'gzip' } }, 'invalid');
    add('gzip bomb: 5 KB inflating to 5 MB', 'whole body', { body: gzipSync(padded(5 * 1024 * 1024)), headers: { 'content-encoding': 'gzip' } }, 'invalid', 413);
    add('unknown content-encoding', 'whole body', { body: text(), headers: { 'content-encoding': 'x-unknown' } }, 'invalid');
  } else {
    // Operations without a body: one sent anyway is read (JSON) and must still be harmless.
    add('unexpected body with a $where key', 'whole body', { body: '{"$where":"sleep(2000) || true"}' }, 'invalid');
    add('unexpected body with a __proto__ key', 'whole body', { body: '{"__proto__":{"polluted":true}}' }, 'invalid');
    add('unexpected body with an operator filter', 'whole body', { body: '{"filter":{"$ne":null}}' }, 'invalid');
    add('unexpected invalid JSON body', 'whole body', { body: '{' }, 'invalid');
    add('unexpected 1 MB body', 'whole body', { body: `{"pad":"${'a'.repeat(1_048_576)}"}` }, 'invalid', 413);
    add('unexpected harmless body', 'whole body', { body: '{"zzz":1}' }, 'weird');
  }
  for (const [header, rule] of Object.entries(base.headerRules ?? {})) {
    for (const value of [undefined, '', 'short', 'k'.repeat(101), 'has space inside', 'has:colon:inside', '$where-123456', '__proto__', 'caf\u00e9-1234567', `ok-${unique()}`]) {
      const expect: Expectation = value !== undefined && rule.test(value) ? 'weird' : 'invalid';
      add(`header ${header}: ${value === undefined ? 'missing' : JSON.stringify(value).slice(0, 24)}`, 'header', { headers: { [header]: value } }, expect);
    }
  }
  return cases;
}

function queryCases(op: Operation, fresh: () => Baseline): Case[] {
  const cases: Case[] = [];
  const base = fresh();
  const add = (label: string, query: string, expect: Expectation = classifyQuery(op, query)): void => {
    cases.push({ op, label, group: 'query', expect, ...request(op, fresh(), { query }) });
  };
  const baseQuery = encodeQuery(base.query);
  const join = (...parts: string[]): string => parts.filter(Boolean).join('&');
  // Any operation: hostile keys, too many parameters, unknown ones.
  for (const extra of ['__proto__[polluted]=1', 'constructor[prototype][polluted]=1', '__proto__=1', 'prototype=1', '$where=sleep(2000)', 'price[$gt]=1', 'a[$ne]=', 'filter[$regex]=.*']) {
    add(`hostile key ${extra}`, join(baseQuery, extra));
  }
  add('150 parameters', join(baseQuery, Array.from({ length: 150 }, (_, i) => `p${i}=1`).join('&')));
  add('unknown parameter', join(baseQuery, 'zzzUnknown=1'));
  add('unknown parameter, 10 000-character value', join(baseQuery, `zzzUnknown=${'a'.repeat(10_000)}`));
  add('unknown parameter, repeated', join(baseQuery, 'zzzUnknown=1&zzzUnknown=2'));
  add('malformed percent-encoding', join(baseQuery, 'zzzUnknown=%E0%A4%A'));
  add('empty pairs', join(baseQuery, '&&=&'));
  for (const p of op.queryParams) {
    const v = base.query?.[p.name];
    const others = (): URLSearchParams => {
      const q = new URLSearchParams(base.query ?? {});
      q.delete(p.name);
      return q;
    };
    const withValue = (value: string): string => {
      const q = others();
      q.set(p.name, value);
      return q.toString();
    };
    const rest = others().toString();
    const enc = encodeURIComponent;
    if (v !== undefined && p.required) add(`${p.name}: missing (required)`, rest);
    for (const op2 of ['$gt', '$ne', '$regex', '$where']) add(`${p.name}: bracket operator [${op2}]`, join(rest, `${enc(p.name)}[${op2}]=1`));
    add(`${p.name}: array syntax ${p.name}[]`, join(rest, `${enc(p.name)}[]=${enc(v ?? 'x')}`));
    add(`${p.name}: repeated`, join(rest, `${enc(p.name)}=${enc(v ?? 'x')}&${enc(p.name)}=${enc(v ?? 'x')}`));
    add(`${p.name}: empty`, withValue(''));
    add(`${p.name}: encoded operator object`, withValue('{"$gt":""}'));
    add(`${p.name}: lone surrogate (invalid UTF-8 %ED%A0%80)`, join(rest, `${enc(p.name)}=${enc(v ?? 'x')}%ED%A0%80`));
    for (const c of stringCandidates(p.schema, v, 'query')) if ('value' in c) add(`${p.name}: ${c.label}`, withValue(String(c.value)));
    const freeText = !p.schema.pattern && !p.schema.enum;
    if (freeText) for (const s of PATHOLOGICAL) add(`${p.name}: pathological ${JSON.stringify(s).slice(0, 30)}`, withValue(s));
    for (const s of base.extraQueryValues?.[p.name] ?? []) add(`${p.name}: crafted ${JSON.stringify(s).slice(0, 30)}`, withValue(s));
  }
  return cases;
}

function pathCases(op: Operation, fresh: () => Baseline): Case[] {
  const cases: Case[] = [];
  const base = fresh();
  for (const p of op.pathParams) {
    const v = base.params?.[p.name] ?? 'x';
    const raws: [string, string][] = [
      ['wrong format', 'not-a-valid-value'],
      ['one character more', encodeURIComponent(`${v}0`)],
      ['one character less', encodeURIComponent(v.slice(1))],
      ['upper case', encodeURIComponent(v.toUpperCase())],
      ['valid format, nothing there', encodeURIComponent(/^[a-f0-9]{24}$/.test(v) ? 'f'.repeat(24) : `${v}-nothing-here`)],
      ['all zeros', '0'.repeat(24)],
      ['trailing space', `${encodeURIComponent(v)}%20`],
      ['NUL', '%00'],
      ['NUL suffix', `${encodeURIComponent(v)}%00`],
      ['encoded ../ traversal', '..%2F..%2F..%2Fetc%2Fpasswd'],
      ['encoded ..', '%2e%2e'],
      ['encoded ../ one level', `..%2F${encodeURIComponent(v)}`],
      ['encoded slash', `${encodeURIComponent(v)}%2Fextra`],
      ['backslash', `..%5C..%5C${encodeURIComponent(v)}`],
      ['encoded operator object', encodeURIComponent('{"$gt":""}')],
      ['bracket operator', encodeURIComponent('[$ne]')],
      ['$where', encodeURIComponent('$where')],
      ['__proto__', '__proto__'],
      ['constructor', 'constructor'],
      ['prototype', 'prototype'],
      ['toString', 'toString'],
      ['hasOwnProperty', 'hasOwnProperty'],
      ['unicode: emoji', encodeURIComponent(`${v}🛒`)],
      ['unicode: RTL override', encodeURIComponent(`\u202E${v}`)],
      ['unicode: zero-width', encodeURIComponent(`${v}\u200B`)],
      ['unicode: fullwidth', encodeURIComponent(v.replace(/[a-z0-9]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)))],
      ['lone surrogate (invalid UTF-8)', '%ED%A0%80'],
      ['malformed percent-encoding', '%E0%A4%A'],
      ['bare %', '%'],
      ['CRLF', `${encodeURIComponent(v)}%0D%0ASet-Cookie:%20x=1`],
      ['semicolon suffix', `${encodeURIComponent(v)};x=1`],
      ['5 000 characters', 'a'.repeat(HUGE.path)],
    ];
    const seen = new Set<string>();
    for (const [label, raw] of raws) {
      if (seen.has(raw) || raw === encodeURIComponent(v)) continue;
      seen.add(raw);
      const b = fresh();
      cases.push({ op, label: `${p.name}: ${label}`, group: 'path', expect: classifyPath(p, raw), ...request(op, b, { params: { [p.name]: raw } }) });
    }
  }
  return cases;
}

function casesOf(op: Operation): Case[] {
  const fresh = (): Baseline => BASELINES[op.id]!(fx);
  // Two generators can arrive at the same request (an empty value is also "shorter than minLength 1"): sent once.
  const seen = new Set<string>();
  return [...bodyCases(op, fresh), ...queryCases(op, fresh), ...pathCases(op, fresh)].filter((c) => {
    const key = `${c.method} ${c.path} ${JSON.stringify(c.headers)} ${typeof c.body === 'string' ? c.body : (c.body?.toString('base64') ?? '')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Checks

const LEAKS: [string, RegExp][] = [
  ['stack frame', /\n\s+at /],
  ['stack frame (JSON-escaped)', /\\n\s+at /],
  ['stack frame', /\bat (?:async )?[\w.$<>]+ \((?:file:\/\/|\/)/],
  ['source position', /\.[cm]?[jt]s:\d+/],
  ['node_modules', /node_modules/],
  ['/work/', /\/work\//],
  ['repository root', new RegExp(process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
  ['/tmp/', /\/tmp\//],
  ['MongoDB error', /Mongo(?:Server)?Error|E11000|Cast to ObjectId/],
  ['error with stack', /\b\w*Error: [^\n]*(?:\n|\\n)\s*at /],
  ['SyntaxError', /SyntaxError/],
  ['"stack" field', /"stack"\s*:/],
];

function check({ c, reply }: Outcome): string[] {
  const out: string[] = [];
  const tag = `${c.op.id} [${c.label}] ${c.method} ${c.path.length > 100 ? `${c.path.slice(0, 100)}…` : c.path}`;
  if (reply.status <= 0) return [`${tag}: no answer (${reply.error})`];
  if (reply.status >= 500) out.push(`${tag}: ${reply.status} ${reply.body.slice(0, 200)}`);
  if (reply.status >= 400) {
    const type = String(reply.headers['content-type'] ?? '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.body);
    } catch {
      parsed = undefined;
    }
    const code = (parsed as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (!type.startsWith('application/json') || !c.op.errorSchema.safeParse(parsed).success || typeof code !== 'string' || code === '') {
      out.push(`${tag}: ${reply.status} is not a JSON error body (${type}): ${reply.body.slice(0, 160)}`);
    }
  }
  for (const [name, pattern] of LEAKS) if (pattern.test(reply.body)) out.push(`${tag}: body leaks ${name}: ${reply.body.slice(0, 300)}`);
  if (reply.status === 401 || reply.status === 403) out.push(`${tag}: stopped at auth (${reply.status}), not at validation`);
  if (c.expect === 'invalid' && (reply.status < 400 || reply.status >= 500)) out.push(`${tag}: invalid input answered ${reply.status} ${reply.body.slice(0, 160)}`);
  if (c.status !== undefined && reply.status !== c.status) out.push(`${tag}: expected ${c.status}, got ${reply.status}`);
  return out;
}

/** Failures by operation: how many, and the first few of each (a broken guard fails hundreds). */
function digest(failures: readonly string[], perOperation = 4): string[] {
  const byOp = new Map<string, string[]>();
  for (const f of failures) {
    const id = f.slice(0, f.indexOf(' '));
    byOp.set(id, [...(byOp.get(id) ?? []), f]);
  }
  return [...byOp].flatMap(([id, list]) => [`${id}: ${list.length} failures`, ...list.slice(0, perOperation).map((f) => `  ${f}`)]);
}

async function runCases(cases: Case[]): Promise<Outcome[]> {
  const replies = await client.callAll(cases, CONCURRENCY);
  return cases.map((c, i) => ({ c, reply: replies[i]! }));
}

const serviceOf = (op: Operation): string => op.api.replace('/api/', '');

function tally(outcomes: readonly Outcome[], key: (o: Outcome) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[key(o)] = (counts[key(o)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

const codeOf = (o: Outcome): string => {
  try {
    return (JSON.parse(o.reply.body) as { error?: { code?: string } }).error?.code ?? String(o.reply.status);
  } catch {
    return String(o.reply.status);
  }
};

function report(title: string, outcomes: readonly Outcome[]): void {
  const lines = [`${title}: ${outcomes.length} cases`];
  for (const service of [...new Set(outcomes.map((o) => serviceOf(o.c.op)))]) {
    const of = outcomes.filter((o) => serviceOf(o.c.op) === service);
    lines.push(
      `  ${service}: ${of.length} cases over ${new Set(of.map((o) => o.c.op.id)).size} operations, by group ${JSON.stringify(tally(of, (o) => o.c.group))}`,
      `    statuses ${JSON.stringify(tally(of, (o) => String(o.reply.status)))}`,
      `    error codes ${JSON.stringify(tally(of.filter((o) => o.reply.status >= 400), codeOf))}`,
    );
  }
  const byTime = [...outcomes].sort((a, b) => a.reply.ms - b.reply.ms);
  const ms = (q: number): string => (byTime[Math.min(byTime.length - 1, Math.floor(q * byTime.length))]?.reply.ms ?? Number.NaN).toFixed(1);
  lines.push(
    `  latency p50 ${ms(0.5)} ms, p99 ${ms(0.99)} ms; slowest: ${byTime
      .slice(-3)
      .reverse()
      .map((o) => `${o.c.op.id} [${o.c.label}] ${o.reply.status} in ${o.reply.ms.toFixed(0)} ms`)
      .join('; ')}`,
  );
  const fromNginx = outcomes.filter((o) => o.reply.status >= 400 && !o.reply.body.includes('"requestId"'));
  if (fromNginx.length) lines.push(`  answered by nginx itself (no requestId): ${fromNginx.length} ${JSON.stringify(tally(fromNginx, (o) => `${o.reply.status} ${codeOf(o)}`))}`);
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  // DEMO_SIGN_IN on: the demo sign-in route is documented, so it is fuzzed too.
  env = await resilienceStack({ name: 'resilience-hostile', products: 150, env: { DEMO_SIGN_IN: 'true' } });
  tokens = { customer: await env.token('hostile-customer', 'customer'), admin: await env.token('hostile-admin', 'admin') };
  client = rawClient(env.stack.edge, { maxSockets: 32 });
  const seeded = await seededFixtures(env, tokens.customer, { orders: 2, keyPrefix: `hostile-setup-${run}` });
  fx = { ...seeded, orderA: seeded.orders[0]!, orderB: seeded.orders[1]! };

  operations = (await documentedOperations(env.stack.edge)).map(({ api, method, template, doc, errorSchema }) => {
    const roles = doc['x-roles'];
    return {
      id: doc.operationId,
      api,
      method,
      template,
      pathParams: (doc.parameters ?? []).filter((p) => p.in === 'path'),
      queryParams: (doc.parameters ?? []).filter((p) => p.in === 'query'),
      ...(doc.requestBody ? { body: doc.requestBody.content['application/json']!.schema } : {}),
      ...(doc.security ? { role: roles && roles.length > 0 && !roles.includes('customer') ? ('admin' as const) : ('customer' as const) } : {}),
      success: documentedSuccess(doc),
      cached: method === 'get' && '304' in doc.responses,
      errorSchema,
    };
  });
  before = await fingerprint(env.models);
}, 180_000);

afterAll(async () => {
  client?.close();
  await env?.teardown();
}, 60_000);

describe('hostile input, fuzzed from the OpenAPI documents', () => {
  it('when the OpenAPI documents are read through nginx, then every documented operation has a baseline request (nothing escapes the fuzz)', () => {
    const byApi: Record<string, number> = {};
    for (const op of operations) byApi[serviceOf(op)] = (byApi[serviceOf(op)] ?? 0) + 1;
    console.log(
      `${operations.length} operations in ${API_PREFIXES.length} documents ${JSON.stringify(byApi)}:\n` +
        operations.map((op) => `  ${op.method.toUpperCase().padEnd(6)} ${op.api}${op.template} ${op.id}${op.role ? ` (as ${op.role})` : ''} → ${op.success}`).join('\n'),
    );
    expect(operations.length).toBeGreaterThanOrEqual(20);
    expect(operations.filter((op) => !BASELINES[op.id]).map((op) => `${op.method.toUpperCase()} ${op.api}${op.template} (${op.id}) has no baseline`)).toEqual([]);
    expect(Object.keys(BASELINES).filter((id) => !operations.some((op) => op.id === id))).toEqual([]);
  });

  it('when unkeyed headers (X-Forwarded-Host, X-Original-URL, X-HTTP-Method-Override, odd Accept-Encoding) fill the cache of a GET, then a plain request gets the clean body and ETag', async () => {
    const all = {
      'x-forwarded-host': 'evil.example',
      'x-host': 'evil.example',
      'x-forwarded-server': 'evil.example',
      'x-original-url': '/api/catalog/products?limit=1',
      'x-rewrite-url': '/api/catalog/products?limit=1',
      'x-http-method-override': 'DELETE',
      'x-http-method': 'DELETE',
      'x-method-override': 'DELETE',
      forwarded: 'for=1.2.3.4;host=evil.example;proto=http',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '6666',
      'x-forwarded-prefix': '/evil',
    };
    const poisons: [string, Record<string, string>][] = [
      ['all together, with odd Accept-Encoding', { ...all, 'accept-encoding': 'br;q=abc, gzip;q=-1, *;q=2' }],
      ['X-Forwarded-Host / X-Host', { 'x-forwarded-host': 'evil.example', 'x-host': 'evil.example', 'x-forwarded-server': 'evil.example' }],
      ['X-HTTP-Method-Override: DELETE', { 'x-http-method-override': 'DELETE', 'x-http-method': 'DELETE', 'x-method-override': 'DELETE' }],
      ['X-Original-URL / X-Rewrite-URL', { 'x-original-url': '/api/catalog/products?limit=1', 'x-rewrite-url': '/api/catalog/products?limit=1' }],
      ['Forwarded / X-Forwarded-Proto', { forwarded: all.forwarded, 'x-forwarded-proto': 'http', 'x-forwarded-port': '6666', 'x-forwarded-prefix': '/evil' }],
      ['Accept-Encoding: identity;q=0, *;q=0', { 'accept-encoding': 'identity;q=0, *;q=0' }],
      ['Accept-Encoding: very long, unknown codings', { 'accept-encoding': `gzip, deflate, br, zstd, ${'x'.repeat(2_000)}` }],
      ['Accept-Encoding: gzip only', { 'accept-encoding': 'gzip' }],
    ];
    const failures: string[] = [];
    const rows: string[] = [];
    let probes = 0;
    let misses = 0;
    for (const op of operations.filter((o) => o.cached && !o.role)) {
      const base = BASELINES[op.id]!(fx);
      const urlOf = (query: Record<string, string> | undefined, probe?: number): string => {
        const q = query ? encodeQuery(query) : [encodeQuery(base.query), probe === undefined ? '' : `cacheProbe=${probe}`].filter(Boolean).join('&');
        return request(op, base, { query: q }).path;
      };
      // Query strings with the same answer and keys of their own: the first is the clean reference.
      const urls = op.queryParams.length > 0 ? (base.equivalents ?? []).map((q) => urlOf(q)) : Array.from({ length: poisons.length + 1 }, (_, i) => urlOf(undefined, i));
      const [reference, ...fresh] = urls;
      if (!reference) {
        failures.push(`${op.id}: a cached GET without equivalent query strings in its baseline`);
        continue;
      }
      const clean = await client.call('GET', reference, {});
      if (clean.status !== 200 || !clean.headers.etag) failures.push(`${op.id}: clean reference ${reference} answered ${clean.status}, ETag ${clean.headers.etag}`);
      let poisoned = 0;
      for (const [i, url] of fresh.entries()) {
        const [label, headers] = poisons[i] ?? [];
        if (!label || !headers) break;
        probes++;
        poisoned++;
        const attack = await client.call('GET', url, headers);
        if (attack.headers['x-cache'] === 'MISS') misses++;
        else failures.push(`${op.id} [${label}]: the poisoned request was not the one that filled ${url} (X-Cache ${attack.headers['x-cache']})`);
        failures.push(...check({ c: { op, label, group: 'header', expect: 'weird', method: 'GET', path: url, headers }, reply: attack }));
        for (let n = 0; n < 3; n++) {
          const plain = await client.call('GET', url, {});
          if (plain.body !== clean.body || plain.headers.etag !== clean.headers.etag || plain.status !== 200) {
            failures.push(`${op.id} [${label}]: plain request ${n + 1} after the poisoned one: ${plain.status} ETag ${plain.headers.etag} (clean ${clean.headers.etag}), X-Cache ${plain.headers['x-cache']}, body ${plain.body === clean.body ? 'equal' : `differs: ${plain.body.slice(0, 120)}`}`);
          }
        }
      }
      rows.push(`  ${op.id}: ${poisoned} poisoned fills, reference ${reference} ETag ${clean.headers.etag}`);
    }
    console.log(`cache poisoning: ${probes} poisoned cache fills (${misses} confirmed MISS, i.e. the poisoned request rendered the entry), each followed by 3 plain reads\n${rows.join('\n')}`);
    expect(failures).toEqual([]);
    expect(probes).toBeGreaterThanOrEqual(30);
  }, 120_000);

  let cases: Case[] = [];

  it('when every invalid-by-construction mutation (and every GET variant) is sent, then each gets a JSON 4xx without leaks and the database is unchanged', async () => {
    cases = operations.flatMap(casesOf);
    const safe = cases.filter((c) => c.expect === 'invalid' || c.method === 'GET');
    const started = performance.now();
    const outcomes = await runCases(safe);
    const seconds = (performance.now() - started) / 1000;
    const failures = outcomes.flatMap(check);
    report(`invalid mutations and GET variants (${seconds.toFixed(1)} s)`, outcomes);
    const invalid = outcomes.filter((o) => o.c.expect === 'invalid');
    console.log(`  invalid by construction: ${invalid.length}, answered ${JSON.stringify(tally(invalid, (o) => String(o.reply.status)))}; valid GET variants: ${outcomes.length - invalid.length}, answered ${JSON.stringify(tally(outcomes.filter((o) => o.c.expect === 'weird'), (o) => String(o.reply.status)))}`);
    if (failures.length) console.log(`failures (${failures.length}):\n${digest(failures).join('\n')}`);
    const after = await fingerprint(env.models);
    console.log(`database before: ${JSON.stringify(before)}\ndatabase after:  ${JSON.stringify(after)}`);
    expect(digest(failures)).toEqual([]);
    expect(invalid.length).toBeGreaterThan(1_000);
    // Every operation got invalid input past its auth check.
    expect(operations.filter((op) => !invalid.some((o) => o.c.op === op && o.reply.status === 400)).map((op) => op.id)).toEqual([]);
    expect(after).toEqual(before);
  }, 150_000);

  it('when each baseline is sent once, then it gets its documented 2xx (the fuzz starts from requests that pass auth and validation)', async () => {
    const rows: string[] = [];
    const failures: string[] = [];
    for (const op of operations) {
      const c: Case = { op, label: 'baseline', group: 'body', expect: 'weird', ...request(op, BASELINES[op.id]!(fx)) };
      const [outcome] = await runCases([c]);
      rows.push(`  ${op.id}: ${outcome!.reply.status}`);
      if (outcome!.reply.status !== op.success) failures.push(`${op.id}: expected ${op.success}, got ${outcome!.reply.status} ${outcome!.reply.body.slice(0, 200)}`);
      failures.push(...check(outcome!));
    }
    console.log(`baselines:\n${rows.join('\n')}`);
    expect(failures).toEqual([]);
  }, 60_000);

  it('when the valid-but-weird variants of write operations are sent (unicode inside bounds, tolerated extras), then none gets a 5xx or leaks', async () => {
    const weird = cases.filter((c) => c.expect === 'weird' && c.method !== 'GET');
    const outcomes = await runCases(weird);
    report('valid-but-weird write variants', outcomes);
    const stored = outcomes.filter((o) => o.reply.status >= 200 && o.reply.status < 300);
    console.log(`  accepted: ${stored.length} (${[...new Set(stored.map((o) => o.c.label.replace(/^body\./, '')))].slice(0, 12).join('; ')}…)`);
    const failures = outcomes.flatMap(check);
    expect(digest(failures)).toEqual([]);
  }, 120_000);
});
