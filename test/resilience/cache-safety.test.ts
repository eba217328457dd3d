// Issue 21 / BRIEF §4.1, §6: no request method, precondition, range or encoding preference can
// store an answer that differs from what a plain GET is given. Every cached route is found from
// the OpenAPI documents (a public GET whose answer carries X-Cache), so a route added later is
// covered without editing this file. For each, directly on the service's port and through nginx,
// every variant below is sent as the FIRST request for its URL after nginx's edge cache, every
// worker's L1 and the shared L2 were emptied, and plain GETs follow it on both workers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { bumpEdgeGeneration, purgeEdge } from '../e2e/stack-harness.ts';
import { documentedOperations, type DocumentedOperation, type JsonSchema } from './support/openapi.ts';
import { rawClient, type RawClient, type Reply } from './support/raw-http.ts';
import { resilienceStack, type ResilienceStack } from './support/resilience-stack.ts';
import { sleep } from './support/traffic.ts';

let env: ResilienceStack;
let redis: Redis;
let operations: DocumentedOperation[];
/** Values for path and required query parameters, by name. */
let values: Record<string, string>;

beforeAll(async () => {
  env = await resilienceStack({
    name: 'cache-safety',
    instances: 2,
    ownRedis: true,
    products: 60,
    // Search warms its popular queries every 5 s, and this suite's own requests make them popular:
    // a warm-up landing between emptying the caches and the first request would fill the entry
    // before the request under test does. Warming has its own suite (services/search popular-warming).
    env: { SEARCH_WARM_QUERIES: '0' },
  });
  redis = new Redis(env.redis!.url, { maxRetriesPerRequest: 2 });
  operations = await documentedOperations(env.stack.edge);
  const productId = env.productIds[0]!;
  const product = await env.models.Product.findById(productId, { sku: 1, categoryId: 1, name: 1 }).lean<{ sku: string; categoryId: unknown; name: string }>();
  const category = await env.models.Category.findById(product!.categoryId, { slug: 1 }).lean<{ slug: string }>();
  values = { id: productId, sku: product!.sku, slug: category!.slug, q: product!.name.split(' ')[0]!.toLowerCase() };
}, 180_000);

afterAll(async () => {
  redis?.disconnect();
  await env?.teardown();
}, 60_000);

/** The service behind an API prefix (the performance API is served by the catalog). */
const serviceOf = (api: string): 'catalog' | 'order' | 'search' =>
  api === '/api/orders' ? 'order' : api === '/api/search' ? 'search' : 'catalog';

/** A valid URL for a public GET: path parameters and required query parameters from the seeded data. */
function urlOf(op: DocumentedOperation): string {
  const missing: string[] = [];
  const valueOf = (name: string, schema: JsonSchema): string => {
    const value = values[name] ?? (schema.enum?.[0] !== undefined ? String(schema.enum[0]) : undefined);
    if (value === undefined) missing.push(name);
    return value ?? '';
  };
  const parameters = op.doc.parameters ?? [];
  const path = op.template.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(valueOf(name, parameters.find((p) => p.name === name)?.schema ?? {})),
  );
  const query = parameters.filter((p) => p.in === 'query' && p.required).map((p) => `${p.name}=${encodeURIComponent(valueOf(p.name, p.schema))}`);
  if (missing.length > 0) throw new Error(`${op.doc.operationId}: no test value for parameter(s) ${missing.join(', ')}; add them to \`values\``);
  return `${op.api}${path === '/' ? '' : path}${query.length ? `?${query.join('&')}` : ''}`;
}

const EDGE_CACHED = /^\/api\/catalog\/products\/[0-9a-f]{24}$/;
const EDGE_SEARCH = /^\/api\/search(\/suggest)?(\?|$)/;

/**
 * Empties every cache of the stack for `url`: nginx's edge cache by a purge of each encoding class
 * (for the product URLs it holds, decision 0018) or a new generation of search answers (listings:
 * each catalog worker bumps theirs when it resubscribes, below), L2 by FLUSHALL, and each worker's
 * L1 by cutting its invalidation subscription — a worker that resubscribes drops its whole L1,
 * since it may have missed invalidations (decision 0006). Resolves once every subscriber is back.
 */
async function emptyEveryCache(url: string): Promise<void> {
  if (EDGE_CACHED.test(url)) await purgeEdge(env.stack, url);
  if (EDGE_SEARCH.test(url)) await bumpEdgeGeneration(env.stack, 'search');
  const channels = (await redis.pubsub('CHANNELS', '*')) as string[];
  const subscribers = async (): Promise<number[]> => {
    const counts = (await redis.pubsub('NUMSUB', ...channels)) as (string | number)[];
    return counts.filter((_, i) => i % 2 === 1).map(Number);
  };
  const before = await subscribers();
  if (before.reduce((a, b) => a + b, 0) === 0) throw new Error('no worker is subscribed to cache invalidations');
  await redis.flushall();
  await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  const deadline = Date.now() + 10_000;
  while (JSON.stringify(await subscribers()) !== JSON.stringify(before)) {
    if (Date.now() > deadline) throw new Error(`workers did not resubscribe within 10 s: ${JSON.stringify(await subscribers())} of ${JSON.stringify(before)}`);
    await sleep(20);
  }
  await sleep(50); // the L1 clear runs right after the subscription is confirmed
}

interface Variant {
  label: string;
  method: 'GET' | 'HEAD';
  headers: (reference: Reply) => Record<string, string>;
  /** What this request itself must get, given the plain GET's answer; failures as text. */
  expect: (reply: Reply, reference: Reply) => string[];
}

const same = (what: string, got: unknown, want: unknown): string[] => (got === want ? [] : [`${what}: ${String(got)}, a plain GET: ${String(want)}`]);

/** The answer a GET gets, without its body: same status, type, validator and length. */
const headLike = (reply: Reply, reference: Reply): string[] => [
  ...same('status', reply.status, reference.status),
  ...same('body length', reply.body.length, 0),
  ...same('Content-Type', reply.headers['content-type'], reference.headers['content-type']),
  ...same('ETag', reply.headers.etag, reference.headers.etag),
  ...same('Content-Length', reply.headers['content-length'], String(Buffer.byteLength(reference.body))),
];

const fullBody = (reply: Reply, reference: Reply): string[] => [
  ...same('status', reply.status, 200),
  ...same('ETag', reply.headers.etag, reference.headers.etag),
  ...(reply.body === reference.body ? [] : [`body differs from a plain GET's: ${reply.body.slice(0, 80)}`]),
];

const notModified = (reply: Reply, reference: Reply): string[] => [
  ...same('status', reply.status, 304),
  ...same('body length', reply.body.length, 0),
  ...same('ETag', reply.headers.etag, reference.headers.etag),
];

const VARIANTS: Variant[] = [
  { label: 'HEAD', method: 'HEAD', headers: () => ({}), expect: headLike },
  { label: 'HEAD with If-None-Match: *', method: 'HEAD', headers: () => ({ 'if-none-match': '*' }), expect: (r, ref) => notModified(r, ref) },
  { label: 'GET with If-None-Match: *', method: 'GET', headers: () => ({ 'if-none-match': '*' }), expect: notModified },
  { label: 'GET with its own ETag in If-None-Match', method: 'GET', headers: (ref) => ({ 'if-none-match': String(ref.headers.etag) }), expect: notModified },
  {
    label: 'GET with an old ETag and If-Modified-Since',
    method: 'GET',
    headers: () => ({ 'if-none-match': '"not-the-current-one"', 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() }),
    expect: fullBody,
  },
  {
    label: 'GET with Range and If-Range (ranges are not served: the whole body)',
    method: 'GET',
    headers: () => ({ range: 'bytes=0-9', 'if-range': '"x"' }),
    expect: (r, ref) => [...fullBody(r, ref), ...same('Content-Range', r.headers['content-range'], undefined)],
  },
  { label: 'HEAD with Range', method: 'HEAD', headers: () => ({ range: 'bytes=0-0' }), expect: headLike },
  { label: 'GET accepting only br', method: 'GET', headers: () => ({ 'accept-encoding': 'br' }), expect: fullBody },
  { label: 'GET accepting gzip with If-Match', method: 'GET', headers: () => ({ 'accept-encoding': 'gzip', 'if-match': '"other"' }), expect: fullBody },
];

describe('cached routes: the first request for a URL cannot change what later GETs get', () => {
  it('when every cached route of the OpenAPI documents is first requested by HEAD, a precondition, a range or an encoding, then it is answered as HTTP says and every later plain GET gets the whole answer, directly and through nginx', async () => {
    const publicGets = operations.filter((op) => op.method === 'get' && !op.doc.security);
    const failures: string[] = [];
    const rows: string[] = [];
    const cached: string[] = [];
    /** Routes and paths where a plain GET after the first request was served from L2 (the other worker). */
    const l2Reads = new Set<string>();
    let checks = 0;
    for (const op of publicGets) {
      const url = urlOf(op);
      const targets: [string, RawClient][] = [
        ['direct', rawClient(`http://127.0.0.1:${env.stack.ports[serviceOf(op.api)]}`, { maxSockets: 4 })],
        ['nginx', rawClient(env.stack.edge, { maxSockets: 4 })],
      ];
      try {
        for (const [where, client] of targets) {
          const reference = await client.call('GET', url, {});
          const xCache = reference.headers['x-cache'];
          if (reference.status !== 200) {
            failures.push(`${op.doc.operationId} ${where} ${url}: a plain GET answered ${reference.status}: ${reference.body.slice(0, 120)}`);
            continue;
          }
          if (xCache === undefined || xCache === 'BYPASS') continue; // not a cached route
          if (where === 'direct') cached.push(op.doc.operationId);
          const outcomes: string[] = [];
          for (const variant of VARIANTS) {
            await emptyEveryCache(url);
            const first = await client.call(variant.method, url, variant.headers(reference));
            const problems = [
              ...(first.headers['x-cache'] === 'MISS' ? [] : [`X-Cache ${String(first.headers['x-cache'])}: the variant did not fill the entry (test not cold)`]),
              ...variant.expect(first, reference),
            ];
            // Then plain GETs, each on a new connection: PM2 hands connections to the workers in
            // turn, so both read the entry (the one that filled it from L1, the other from L2).
            for (let n = 0; n < 4; n++) {
              const plain = await client.call('GET', url, { connection: 'close' });
              if (plain.headers['x-cache'] === 'HIT-L2') l2Reads.add(`${op.doc.operationId} ${where}`);
              problems.push(...fullBody(plain, reference).map((p) => `plain GET ${n + 1} after it (X-Cache ${String(plain.headers['x-cache'])}): ${p}`));
            }
            checks++;
            outcomes.push(`${variant.label} → ${first.status}`);
            failures.push(...problems.map((p) => `${op.doc.operationId} ${where} ${url} [${variant.label}]: ${p}`));
          }
          rows.push(`  ${op.doc.operationId} (${where}) ${url}: ${outcomes.join('; ')}`);
        }
      } finally {
        for (const [, client] of targets) client.close();
      }
    }
    console.log(`[cache-safety] MongoDB server: ${env.mongoServer}\ncached routes: ${cached.join(', ')}; ${checks} cold first requests, each followed by 4 plain GETs; read from L2 by the other worker: ${[...l2Reads].join(', ')}\n${rows.join('\n')}`);
    if (failures.length) console.log(`failures (${failures.length}):\n${failures.slice(0, 60).join('\n')}`);
    expect(failures).toEqual([]);
    // The catalog's categories, category, list, product, product by sku, stock; search and suggest.
    expect(cached.length).toBeGreaterThanOrEqual(8);
    expect(checks).toBe(cached.length * 2 * VARIANTS.length);
    // The second worker read what the first stored, on every route (directly; nginx keeps its own connections).
    expect(cached.filter((id) => !l2Reads.has(`${id} direct`))).toEqual([]);
  }, 600_000);
});
