// Mutations of a baseline request body, as edits (set, raw JSON, delete, insert a member) walked
// from its JSON schema, and their rendering into the JSON text that is sent.
import type { JsonSchema } from './openapi.ts';
import { allowedTypes, branchOf, numberCandidates, OPERATORS, PROTO_RAW, stringCandidates, WRONG_TYPES } from './hostile-values.ts';

type Key = string | number;
export type Edit =
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

export function render(body: unknown, edit: Edit): string {
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

export function* nodeEdits(schema: JsonSchema, value: unknown, path: Key[], depth: number): Generator<[string, Edit]> {
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
