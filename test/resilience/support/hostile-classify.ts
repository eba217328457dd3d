// Whether a fuzzed request is valid, independent of the services' code: the OpenAPI documents'
// schemas decide, and on top of them two rules every service must follow whatever its document
// says: no MongoDB operator or prototype keys, and text is text (issue 21).
import type { Operation } from './hostile-operations.ts';
import { validator, type JsonSchema, type Parameter } from './openapi.ts';

/** invalid: a 4xx is required; weird: valid by the documents, anything below 500 will do. */
export type Expectation = 'invalid' | 'weird';

export interface Verdict {
  expect: Expectation;
  /** Only the text rule refuses it: the document accepts what no service may (it does not state the rule). */
  notStated?: true;
}

export const satisfies = (schema: JsonSchema, value: unknown): boolean => validator(schema).safeParse(value).success;

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
 * What no string of any service may hold, stated here in Unicode properties rather than taken
 * from the services: control characters (Cc: U+0000–U+001F, U+007F–U+009F), lone surrogates (Cs)
 * and noncharacters. Tab and newline are left to the documents: multi-line text takes them.
 */
const NOT_TEXT = /(?![\t\n])[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;

/** A string anywhere inside `value` that breaks the text rule. */
function breaksTextRule(value: unknown): boolean {
  if (typeof value === 'string') return NOT_TEXT.test(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some(breaksTextRule);
}

/**
 * Every string as the services keep text: trimmed, then in NFC. The schemas trim and normalize
 * before checking lengths (which JSON Schema cannot say), so a value valid in that form is not
 * invalid for its surrounding whitespace or its decomposed accents.
 */
function normalized(value: unknown): unknown {
  if (typeof value === 'string') return value.trim().normalize('NFC');
  if (Array.isArray(value)) return value.map(normalized);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) Object.defineProperty(out, key, { value: normalized(v), enumerable: true, configurable: true, writable: true });
  return out;
}
const valid = (schema: JsonSchema, value: unknown): boolean => satisfies(schema, value) || satisfies(schema, normalized(value));

/**
 * The verdict on `value` at a documented place: invalid by its schema, or by the text rule. The
 * rule is not stated when the schema takes the value as it is (not merely once trimmed).
 */
function verdict(schema: JsonSchema, value: unknown): Verdict {
  if (!valid(schema, value)) return { expect: 'invalid' };
  if (!breaksTextRule(value)) return { expect: 'weird' };
  return satisfies(schema, value) ? { expect: 'invalid', notStated: true } : { expect: 'invalid' };
}

export function classifyBody(schema: JsonSchema, text: string | Buffer): Verdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString());
  } catch {
    return { expect: 'invalid' };
  }
  if (parsed === null || typeof parsed !== 'object' || hostile(parsed)) return { expect: 'invalid' };
  return verdict(schema, parsed);
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

export function classifyQuery(op: Operation, query: string): Verdict {
  if (query.split('&').length > 100) return { expect: 'invalid' };
  const read = readQuery(query);
  if (hostile(read)) return { expect: 'invalid' };
  // Only documented parameters are read: the text rule holds for them, not for ignored extras.
  const documented = Object.fromEntries(op.queryParams.filter((p) => p.name in read).map((p) => [p.name, read[p.name]]));
  const schema = querySchema(op);
  if (!valid(schema, read)) return { expect: 'invalid' };
  if (!breaksTextRule(documented)) return { expect: 'weird' };
  return satisfies(schema, read) ? { expect: 'invalid', notStated: true } : { expect: 'invalid' };
}

export function classifyPath(param: Parameter, raw: string): Verdict {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { expect: 'invalid' };
  }
  if (decoded.includes('/') || decoded === '') return { expect: 'invalid' };
  return verdict(param.schema, decoded);
}
