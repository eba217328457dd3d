// Issue R9, hostile input: every operation the services document is fuzzed from its own OpenAPI
// document (read through nginx at test time, so a route added later is fuzzed without touching
// this file; one without a baseline fails the suite). From each operation's JSON schemas,
// mutations of one valid baseline request: per property (missing, wrong types, out of bounds,
// MongoDB operator objects, prototype keys, huge strings, text that is not text, unicode that is),
// per whole body, per query string and per path parameter (support/hostile-cases); then unkeyed
// headers aimed at the response cache, and HEAD requests on every GET. Every answer: below 500, a
// JSON error body (components.schemas.Error) when 4xx, and nothing internal in it
// (support/hostile-checks). Inputs invalid by construction (support/hostile-classify: by the
// documents, and by two rules every service follows whatever its document says: no operator or
// prototype keys, text is text) must get a 4xx and leave the database exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inParallel, probeHead } from './support/head-probe.ts';
import { BASELINES, unique } from './support/hostile-baselines.ts';
import { casesOf, encodeQuery, request, type Case, type FuzzContext } from './support/hostile-cases.ts';
import { check, counts, digest, headFailures, report, tally, type Outcome } from './support/hostile-checks.ts';
import { fuzzOperation, serviceOf, type Operation } from './support/hostile-operations.ts';
import { API_PREFIXES, documentedOperations } from './support/openapi.ts';
import { rawClient, type RawClient } from './support/raw-http.ts';
import { resilienceStack, type ResilienceStack } from './support/resilience-stack.ts';
import { fingerprint, seededFixtures } from './support/seeded-fixtures.ts';

const CONCURRENCY = 8;

let env: ResilienceStack;
let client: RawClient;
let ctx: FuzzContext;
let operations: Operation[];
let before: Record<string, string>;
/** URLs requested before the HEAD probes (by the cache-poisoning test): not cold for them. */
const requested = new Set<string>();

async function runCases(cases: Case[]): Promise<Outcome[]> {
  const replies = await client.callAll(cases, CONCURRENCY);
  return cases.map((c, i) => ({ c, reply: replies[i]! }));
}

beforeAll(async () => {
  // DEMO_SIGN_IN on: the demo sign-in route is documented, so it is fuzzed too.
  env = await resilienceStack({ name: 'resilience-hostile', products: 150, env: { DEMO_SIGN_IN: 'true' } });
  const tokens = { customer: await env.token('hostile-customer', 'customer'), admin: await env.token('hostile-admin', 'admin') };
  client = rawClient(env.stack.edge, { maxSockets: 32 });
  const seeded = await seededFixtures(env, tokens.customer, { orders: 2, keyPrefix: `hostile-setup-${unique()}` });
  ctx = { fx: { ...seeded, orderA: seeded.orders[0]!, orderB: seeded.orders[1]! }, tokens };
  operations = (await documentedOperations(env.stack.edge)).map(fuzzOperation);
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

  it('when the cases are generated, then no string the documents accept breaks the text rule (each document states it, so fuzzers generate against it)', () => {
    const generated = operations.flatMap((op) => casesOf(ctx, op));
    const notText = generated.filter((c) => c.label.includes('not text:'));
    console.log(`${generated.length} cases, ${notText.length} of them putting what is not text in a string`);
    expect(notText.length).toBeGreaterThan(300);
    expect(generated.filter((c) => c.notStated).map((c) => `${c.op.id} [${c.label}]: refused by the text rule, accepted by the document`)).toEqual([]);
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
      const base = BASELINES[op.id]!(ctx.fx);
      const urlOf = (query: Record<string, string> | undefined, probe?: number): string => {
        const q = query ? encodeQuery(query) : [encodeQuery(base.query), probe === undefined ? '' : `cacheProbe=${probe}`].filter(Boolean).join('&');
        return request(ctx, op, base, { query: q }).path;
      };
      // Query strings with the same answer and keys of their own: the first is the clean reference.
      const urls = op.queryParams.length > 0 ? (base.equivalents ?? []).map((q) => urlOf(q)) : Array.from({ length: poisons.length + 1 }, (_, i) => urlOf(undefined, i));
      for (const url of urls) requested.add(url);
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

  it('when every GET case is sent as a HEAD to a URL not requested before, then it answers like the GET, with no body, and leaves no empty answer behind for the next GET', async () => {
    const seen = new Set<string>();
    const heads = operations
      .filter((op) => op.method === 'get')
      .flatMap((op) => casesOf(ctx, op))
      .filter((c) => {
        const key = `${c.path} ${JSON.stringify(c.headers)}`;
        if (c.body !== undefined || requested.has(c.path) || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    // A request with credentials is never answered from the cache: the reference GET.
    const bypass = { authorization: `Bearer ${ctx.tokens.customer}` };
    const started = performance.now();
    const probes = await inParallel(heads, CONCURRENCY, (c) => probeHead(client, env.stack.edge, c, c.op.cached && !c.op.role ? bypass : {}));
    const sent = probes.filter((p) => p.reference.status > 0);
    const failures = sent.flatMap(headFailures);
    console.log(
      `HEAD probes (${((performance.now() - started) / 1000).toFixed(1)} s): ${sent.length} sent (${probes.length - sent.length} URLs Node will not send), by operation ${JSON.stringify(counts(sent.map((p) => p.c.op.id)))}\n` +
        `  HEAD statuses ${JSON.stringify(counts(sent.map((p) => String(p.head.status))))}; X-Cache on the HEAD ${JSON.stringify(counts(sent.map((p) => p.head.headers['x-cache'] ?? 'none')))}`,
    );
    if (failures.length) console.log(`failures (${failures.length}):\n${digest(failures).join('\n')}`);
    expect(digest(failures)).toEqual([]);
    // The fill of the cache by a HEAD was exercised: cached operations answering a HEAD 200.
    expect(sent.filter((p) => p.c.op.cached && p.head.status === 200).length).toBeGreaterThan(30);
  }, 300_000);

  let cases: Case[] = [];

  it('when every invalid-by-construction mutation (and every GET variant) is sent, then each gets a JSON 4xx without leaks and the database is unchanged', async () => {
    cases = operations.flatMap((op) => casesOf(ctx, op));
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
      const c: Case = { op, label: 'baseline', group: 'body', expect: 'weird', ...request(ctx, op, BASELINES[op.id]!(ctx.fx)) };
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
