// The hostile-input fuzz's cases: for each operation, mutations of one valid baseline request per
// property of its body, per query parameter and per path parameter, plus whole-body and header
// mutations, each with what its answer must be (see hostile-classify).
import { gzipSync } from 'node:zlib';
import { BASELINES, unique, type Baseline, type Fixtures } from './hostile-baselines.ts';
import { nodeEdits, render } from './hostile-body-edits.ts';
import { classifyBody, classifyPath, classifyQuery, satisfies, type Expectation, type Verdict } from './hostile-classify.ts';
import type { Operation } from './hostile-operations.ts';
import { HUGE, NOT_TEXT, PATHOLOGICAL, splice, stringCandidates } from './hostile-values.ts';

export interface Case {
  op: Operation;
  /** What was mutated and how, e.g. "body.priceCents: above maximum". */
  label: string;
  group: 'body' | 'whole body' | 'query' | 'path' | 'header';
  /** invalid: a 4xx is required; weird: valid by the documents, anything below 500 will do. */
  expect: Expectation;
  /** Only the text rule makes it invalid: its document does not state the rule. */
  notStated?: true;
  /** An exact status, when the contract names one (413 for oversize bodies). */
  status?: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** What requests are built from: the seeded fixtures and a token per role. */
export interface FuzzContext {
  fx: Fixtures;
  tokens: { customer: string; admin: string };
}

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

export const encodeQuery = (query: Record<string, string> | undefined): string => new URLSearchParams(query ?? {}).toString();

export function request(ctx: FuzzContext, op: Operation, base: Baseline, draft: Draft = {}): Pick<Case, 'method' | 'path' | 'headers' | 'body'> {
  const raw: Record<string, string> = {};
  for (const p of op.pathParams) raw[p.name] = encodeURIComponent(base.params?.[p.name] ?? '');
  Object.assign(raw, draft.params);
  const filled = op.template.replace(/\{([^}]+)\}/g, (_m, name: string) => raw[name] ?? '');
  const query = draft.query ?? encodeQuery(base.query);
  const path = `${op.api}${filled === '/' ? '' : filled}${query ? `?${query}` : ''}`;
  const body = draft.body === null ? undefined : (draft.body ?? (base.body === undefined ? undefined : JSON.stringify(base.body)));
  const headers: Record<string, string | undefined> = {
    ...(op.role ? { authorization: `Bearer ${ctx.tokens[op.role]}` } : {}),
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...base.headers,
    ...draft.headers,
  };
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) clean[name] = value;
  return { method: op.method.toUpperCase(), path, headers: clean, body };
}

const asVerdict = (v: Verdict | Expectation): Verdict => (typeof v === 'string' ? { expect: v } : v);

function bodyCases(ctx: FuzzContext, op: Operation, fresh: () => Baseline): Case[] {
  const cases: Case[] = [];
  const add = (label: string, group: Case['group'], draft: Draft, verdict: Verdict | Expectation, status?: number): void => {
    cases.push({ op, label, group, ...asVerdict(verdict), ...(status ? { status } : {}), ...request(ctx, op, fresh(), draft) });
  };
  const base = fresh();
  if (op.body) {
    const schema = op.body;
    for (const [label, edit] of nodeEdits(schema, base.body, [], 0)) {
      const b = fresh();
      const text = render(b.body, edit);
      cases.push({ op, label: `body.${label}`, group: 'body', ...classifyBody(schema, text), ...request(ctx, op, b, { body: text }) });
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
    for (const value of [undefined, '', 'short', 'k'.repeat(101), 'has space inside', 'has:colon:inside', '$where-123456', '__proto__', 'caf\u00e9-1234567', 'csi-\u009b-1234567', `ok-${unique()}`]) {
      const expect: Expectation = value !== undefined && rule.test(value) ? 'weird' : 'invalid';
      add(`header ${header}: ${value === undefined ? 'missing' : JSON.stringify(value).slice(0, 24)}`, 'header', { headers: { [header]: value } }, expect);
    }
  }
  return cases;
}

function queryCases(ctx: FuzzContext, op: Operation, fresh: () => Baseline): Case[] {
  const cases: Case[] = [];
  const base = fresh();
  const add = (label: string, query: string): void => {
    cases.push({ op, label, group: 'query', ...classifyQuery(op, query), ...request(ctx, op, fresh(), { query }) });
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

function pathCases(ctx: FuzzContext, op: Operation, fresh: () => Baseline): Case[] {
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
      ...NOT_TEXT.map(([label, s]): [string, string] => [`not text: ${label}`, encodeURIComponent(splice(v, s))]),
    ];
    const seen = new Set<string>();
    for (const [label, raw] of raws) {
      if (seen.has(raw) || raw === encodeURIComponent(v)) continue;
      seen.add(raw);
      const b = fresh();
      cases.push({ op, label: `${p.name}: ${label}`, group: 'path', ...classifyPath(p, raw), ...request(ctx, op, b, { params: { [p.name]: raw } }) });
    }
  }
  return cases;
}

/** Every case of `op`, each request once. */
export function casesOf(ctx: FuzzContext, op: Operation): Case[] {
  const fresh = (): Baseline => BASELINES[op.id]!(ctx.fx);
  // Two generators can arrive at the same request (an empty value is also "shorter than minLength 1"): sent once.
  const seen = new Set<string>();
  return [...bodyCases(ctx, op, fresh), ...queryCases(ctx, op, fresh), ...pathCases(ctx, op, fresh)].filter((c) => {
    const key = `${c.method} ${c.path} ${JSON.stringify(c.headers)} ${typeof c.body === 'string' ? c.body : (c.body?.toString('base64') ?? '')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
