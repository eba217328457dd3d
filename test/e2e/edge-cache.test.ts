// nginx's edge cache in the real stack (decision 0018): PM2 cluster workers behind nginx with the
// shipped config, on the test run's MongoDB-wire server and Redis. Every cache promise a service hit
// makes holds for an edge hit too, and a product change made through any service is visible through
// the edge within 100 ms.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedCatalog } from '@shop/catalog/seed';
import { testDatabase, type TestDatabase } from '@shop/db/testing';
import { connectRedis, createAuth, createLogger, createRedis } from '@shop/service-kit';
import { parsePromText } from '../../scripts/lib/prom-text.ts';
import { externalAddress, purgeEdge, startStack, stopAllStacks, type Stack } from './stack-harness.ts';

const ENCODINGS = { br: 'br, gzip', gzip: 'gzip, deflate', identity: '' } as const;
type EncodingClass = keyof typeof ENCODINGS;
/** Headers that are per answer, not per stored entry: when, which request, which layer, whose budget. */
const PER_ANSWER = new Set(['date', 'x-request-id', 'x-cache', 'ratelimit', 'ratelimit-policy', 'connection', 'keep-alive']);

let db: TestDatabase;
let stack: Stack;
let adminToken: string;
let customerToken: string;
let productIds: string[];

beforeAll(async () => {
  db = await testDatabase('e2e_edge_cache');
  await seedCatalog(db.models, { products: 60 });
  productIds = (await db.models.Product.find({ stockTotal: { $gte: 5 } }, { _id: 1 }).limit(40).lean<{ _id: unknown }[]>()).map((p) => String(p._id));
  // Answers of 1 KB and more are stored compressed (br and gzip) beside the plain bytes: make these so.
  await db.models.Product.updateMany({ _id: { $in: productIds } }, { $set: { description: 'A sturdy, well made thing for every day. '.repeat(60) } });
  const jwtSecret = 'edge-'.padEnd(48, 'x') + Date.now();
  const auth = createAuth(jwtSecret);
  adminToken = await auth.sign({ id: 'e2e-admin', role: 'admin' }, '1h');
  customerToken = await auth.sign({ id: 'e2e-edge-customer', role: 'customer' }, '1h');
  stack = await startStack({
    instances: 2,
    env: { ...db.serviceEnv, NODE_ENV: 'production', REDIS_URL: process.env.REDIS_URL, JWT_SECRET: jwtSecret, RATE_LIMIT_MAX: '1000000' },
  });
  console.log(`stack: ${stack.workers().length} workers behind nginx at ${stack.edge} with its edge cache; database ${db.dbName}`);
}, 150_000);

afterAll(async () => {
  agent.destroy();
  await stopAllStacks();
  await db?.drop();
}, 60_000);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One request as sent (node:http adds no Accept-Encoding and decodes nothing), with its raw answer. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const edge = new URL(stack.edge);
    // The path exactly as given (a URL string would have its dot segments resolved on the way).
    const req = http.request({ host: edge.hostname, port: edge.port, path, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        const flat = Object.fromEntries(Object.entries(res.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
        resolve({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) });
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

const productPath = (id: string): string => `/api/catalog/products/${id}`;
/** A product listing, its query exactly as given (the edge keys it as sent). */
const listingPath = (query: string): string => `/api/catalog/products?${query}`;
/** A search or suggestion, its query exactly as given (the edge keys it as sent). */
const searchPath = (query: string): string => `/api/search?${query}`;
const encodingHeader = (encoding: EncodingClass): Record<string, string> => (ENCODINGS[encoding] ? { 'Accept-Encoding': ENCODINGS[encoding] } : {});

/** Drops the edge entries of a path (every encoding class), as a service does after a change. */
const purge = (path: string): Promise<void> => purgeEdge(stack, path);

/** The stored-entry part of an answer: every header but the per-answer ones, and the bytes. */
function entryPart(answer: Answer): { status: number; headers: Record<string, string>; body: string } {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !PER_ANSWER.has(name)));
  return { status: answer.status, headers, body: answer.body.toString('base64') };
}

/**
 * The same request answered by the service itself: If-Modified-Since makes the edge pass it by
 * (the services do not evaluate it on cached reads, decision 0006), so nothing of nginx's cache touches it.
 */
const fromService = (path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> =>
  get(path, { ...headers, 'If-Modified-Since': new Date().toUTCString() }, method);

/** GETs until the edge answers (HIT-EDGE); then the same GET answered by the service. */
async function untilEdgeHit(path: string, headers: Record<string, string>): Promise<{ service: Answer; edge: Answer }> {
  let last = '';
  for (let i = 0; i < 10; i++) {
    const next = await get(path, headers);
    expect(next.status).toBe(200);
    if (next.headers['x-cache'] === 'HIT-EDGE') return { service: await fromService(path, headers), edge: next };
    last = next.headers['x-cache'] ?? '';
  }
  throw new Error(`GET ${path} never became an edge hit: last X-Cache ${last}`);
}

/** The JSON of an identity answer. */
function json<T>(answer: Answer): T {
  expect(answer.headers['content-encoding']).toBeUndefined();
  return JSON.parse(answer.body.toString('utf8')) as T;
}
const priceOf = (answer: Answer): number => json<{ priceCents: number }>(answer).priceCents;

describe('an edge hit keeps every promise of a service hit', () => {
  it.each(Object.keys(ENCODINGS) as EncodingClass[])('when a product is read twice with the %s encoding, then the second is HIT-EDGE with the status, headers and bytes the service sent', async (encoding) => {
    const path = productPath(productIds[0]!);
    await purge(path);
    const { service, edge } = await untilEdgeHit(path, encodingHeader(encoding));
    expect(service.headers['x-cache']).toMatch(/^(MISS|HIT-L1|HIT-L2|HIT-FAST)$/);
    expect(service.headers['accept-ranges']).toBe('none');
    expect(entryPart(edge)).toEqual(entryPart(service));
    expect(edge.headers['content-encoding']).toBe(encoding === 'identity' ? undefined : encoding);
    // The security headers (helmet's), the validator and the browser policy come with it.
    expect(edge.headers).toMatchObject({ 'x-content-type-options': 'nosniff', vary: expect.stringContaining('Accept-Encoding') as unknown as string });
    expect(edge.headers.etag).toMatch(/^"[^"]+"$/);
    expect(edge.headers['cache-control']).toMatch(/max-age=\d+/);
  });

  it('when an edge hit is asked with If-None-Match (strong, weak, *, another), then it answers as the service does: 304 with the same headers, or the whole 200', async () => {
    const path = productPath(productIds[1]!);
    await purge(path);
    const { edge } = await untilEdgeHit(path, encodingHeader('br'));
    const etag = edge.headers.etag!;
    for (const condition of [etag, `W/${etag}`, '*', `"other", ${etag}`]) {
      const fromEdge = await get(path, { ...encodingHeader('br'), 'If-None-Match': condition });
      // The service evaluates If-None-Match itself.
      const service = await fromService(path, { ...encodingHeader('br'), 'If-None-Match': condition });
      expect({ condition, cache: fromEdge.headers['x-cache'] }).toEqual({ condition, cache: 'HIT-EDGE' });
      expect(service.headers['x-cache']).not.toMatch(/EDGE/);
      expect(entryPart(fromEdge)).toEqual(entryPart(service));
      expect(fromEdge.status).toBe(304);
    }
    const other = await get(path, { ...encodingHeader('br'), 'If-None-Match': '"not-this-one"' });
    expect([other.status, other.headers['x-cache']]).toEqual([200, 'HIT-EDGE']);
    expect(other.body.equals(edge.body)).toBe(true);
  });

  it('when HEAD asks for an edge entry, then it gets the GET answer’s status and headers without a body, as from the service', async () => {
    const path = productPath(productIds[2]!);
    await purge(path);
    await untilEdgeHit(path, encodingHeader('gzip'));
    const fromEdge = await get(path, encodingHeader('gzip'), 'HEAD');
    const service = await fromService(path, encodingHeader('gzip'), 'HEAD');
    expect(fromEdge.headers['x-cache']).toBe('HIT-EDGE');
    expect(service.headers['x-cache']).not.toMatch(/EDGE/);
    expect(entryPart(fromEdge)).toEqual(entryPart(service));
    expect(fromEdge.body.length).toBe(0);
    expect(Number(fromEdge.headers['content-length'])).toBeGreaterThan(0);
  });

  it('when an edge hit is answered, then it echoes this request’s id and carries no other client’s rate-limit budget', async () => {
    const path = productPath(productIds[3]!);
    await purge(path);
    const { service } = await untilEdgeHit(path, encodingHeader('br'));
    expect(service.headers.ratelimit).toBeDefined();
    // An answer the edge passes on from the service carries this client's budget.
    await purge(path);
    expect((await get(path, encodingHeader('br'))).headers).toMatchObject({ 'x-cache': expect.stringMatching(/^(MISS|HIT-L1|HIT-L2|HIT-FAST)$/) as unknown as string, ratelimit: expect.any(String) as unknown as string });
    const edge = await get(path, { ...encodingHeader('br'), 'X-Request-Id': 'edge-echo-1' });
    expect(edge.headers).toMatchObject({ 'x-cache': 'HIT-EDGE', 'x-request-id': 'edge-echo-1' });
    expect(edge.headers.ratelimit).toBeUndefined();
    expect(edge.headers['ratelimit-policy']).toBeUndefined();
    // A malformed id is replaced by nginx's own, as for any request.
    const replaced = await get(path, { ...encodingHeader('br'), 'X-Request-Id': 'bad id with spaces' });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('when a request carries credentials, a query, a range, a precondition other than If-None-Match, a body or an unlisted encoding, then the edge never answers it and never stores its answer', async () => {
    const path = productPath(productIds[4]!);
    await purge(path);
    await untilEdgeHit(path, encodingHeader('br'));
    const passedBy: [string, Record<string, string>, string][] = [
      ['Authorization', { Authorization: `Bearer ${customerToken}` }, path],
      ['a session cookie', { Cookie: 'session=abc' }, path],
      ['Range', { Range: 'bytes=0-10' }, path],
      ['If-Match', { 'If-Match': '"x"' }, path],
      ['If-Unmodified-Since', { 'If-Unmodified-Since': new Date(0).toUTCString() }, path],
      ['an unlisted encoding', { 'Accept-Encoding': 'br;q=1, gzip;q=0.5' }, path],
      ['a query string', {}, `${path}?fields=name`],
    ];
    for (const [what, headers, url] of passedBy) {
      const answer = await get(url, { ...encodingHeader('br'), ...headers });
      expect({ what, cache: answer.headers['x-cache'] ?? '(none)' }).toEqual({ what, cache: expect.not.stringMatching(/EDGE/) as unknown as string });
    }
    // A Range is not served as a partial answer by the edge: the service ignores it (Accept-Ranges: none).
    const ranged = await get(path, { ...encodingHeader('identity'), Range: 'bytes=0-10' });
    expect(ranged.status).toBe(200);
    // A body on a GET reaches the service, which answers it as it always did.
    const withBody = await get(path, { ...encodingHeader('br'), 'Content-Type': 'application/json', 'Content-Length': '7' }, 'GET', '{"a":1}');
    expect(withBody.headers['x-cache'] ?? '(none)').not.toMatch(/EDGE/);
    // A path nginx would normalize but the service would not (a doubled slash, a dot segment, an
    // escape) is the service's to answer, as it always was.
    for (const raw of [`/${path}`, path.replace('/products/', '/products/./'), path.replace(/a/, '%61')]) {
      const answer = await get(raw, encodingHeader('br'));
      expect({ raw, cache: answer.headers['x-cache'] ?? '(none)' }).toEqual({ raw, cache: expect.not.stringMatching(/EDGE/) as unknown as string });
    }
    // None of those was stored: a fresh cookie-carrying read after a purge stays off the edge too.
    await purge(path);
    await get(path, { ...encodingHeader('br'), Cookie: 'session=abc' });
    expect((await get(path, encodingHeader('br'))).headers['x-cache']).not.toMatch(/EDGE/);
  });

  it('when any other method a client may send reaches a URL the edge holds, then the edge never answers it, and it gets what the service itself answers', async () => {
    const path = productPath(productIds[10]!);
    await purge(path);
    await untilEdgeHit(path, encodingHeader('br'));
    const direct = async (method: string, body?: string): Promise<number> => {
      const res = await fetch(`http://127.0.0.1:${stack.ports.catalog}${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'Content-Type': 'application/json' } }) });
      await res.arrayBuffer();
      return res.status;
    };
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{"priceCents":1}' : undefined;
      const headers: Record<string, string> = { ...encodingHeader('br'), ...(body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }) };
      const answer = await get(path, headers, method, body);
      expect({ method, cache: answer.headers['x-cache'] ?? '(none)' }).toEqual({ method, cache: expect.not.stringMatching(/EDGE/) as unknown as string });
      expect({ method, status: answer.status }).toEqual({ method, status: await direct(method, body) });
    }
    // Unauthenticated writes changed nothing: the entry is still the edge's to answer.
    expect((await get(path, encodingHeader('br'))).headers['x-cache']).toBe('HIT-EDGE');
  });

  it.each(Object.keys(ENCODINGS) as EncodingClass[])('when a listing is read twice with the %s encoding, then the second is HIT-EDGE with the status, headers and bytes the service sent, and the service’s word to nginx never reaches the client', async (encoding) => {
    const path = listingPath('sort=price&limit=30&inStock=true');
    await purge(path);
    const { service, edge } = await untilEdgeHit(path, encodingHeader(encoding));
    expect(entryPart(edge)).toEqual(entryPart(service));
    expect(edge.headers['content-encoding']).toBe(encoding === 'identity' ? undefined : encoding);
    for (const answer of [service, edge]) expect(answer.headers['x-edge-purgeable']).toBeUndefined();
    expect(edge.headers.etag).toMatch(/^"[^"]+"$/);
  });

  it('when a listing’s query is not in plain characters, or the listing is asked otherwise than the edge may answer, then the edge never answers it and never stores its answer', async () => {
    const passedBy: [string, Record<string, string>, string][] = [
      ['a quote in the query', {}, listingPath("sort=price&brand=O'Neil")],
      ['a doubled slash', {}, `/api/catalog//products?sort=price`],
      ['a trailing slash', {}, `/api/catalog/products/?sort=price`],
      ['a session cookie', { Cookie: 'session=abc' }, listingPath('sort=price&limit=3')],
      ['an unlisted encoding', { 'Accept-Encoding': 'gzip;q=1' }, listingPath('sort=price&limit=3')],
    ];
    for (const [what, headers, url] of passedBy) {
      for (let i = 0; i < 3; i++) {
        const answer = await get(url, { ...encodingHeader('br'), ...headers });
        expect({ what, cache: answer.headers['x-cache'] ?? '(none)', marked: answer.headers['x-edge-purgeable'] }).toEqual({ what, cache: expect.not.stringMatching(/EDGE/) as unknown as string, marked: undefined });
      }
    }
  });

  it('when a client repeats Accept-Encoding lines, then the edge still stores and serves each class its own bytes', async () => {
    const path = productPath(productIds[9]!);
    await purge(path);
    // nginx keys by the first line ("identity"); the service would read "identity, br" and send brotli.
    for (let i = 0; i < 4; i++) await get(path, { 'Accept-Encoding': ['identity', 'br'] as unknown as string });
    for (let i = 0; i < 3; i++) {
      const plain = await get(path, { 'Accept-Encoding': 'identity' });
      expect([plain.headers['content-encoding'], JSON.parse(plain.body.toString('utf8')).id]).toEqual([undefined, productIds[9]]);
    }
    expect((await get(path, encodingHeader('identity'))).headers['x-cache']).toBe('HIT-EDGE');
  });
});

/**
 * Readers hammering `path` through nginx in every encoding class, from before `change` until 1.5 s
 * after it answered: each read with the time it was sent, relative to that answer.
 */
async function readWhileChanging(path: string, change: () => Promise<void>): Promise<{ sentMs: number; cache: string; etag: string }[]> {
  const reads: { sent: number; cache: string; etag: string }[] = [];
  let changedAt = Number.POSITIVE_INFINITY;
  let stop = false;
  const reader = async (encoding: EncodingClass): Promise<void> => {
    while (!stop) {
      const sent = Date.now();
      const answer = await get(path, encodingHeader(encoding));
      reads.push({ sent, cache: answer.headers['x-cache'] ?? '', etag: answer.headers.etag ?? '' });
      if (Date.now() - changedAt > 1_500) stop = true;
    }
  };
  const readers = (['br', 'gzip', 'identity', 'br'] as const).map((encoding) => reader(encoding));
  await new Promise((resolve) => setTimeout(resolve, 100));
  await change();
  changedAt = Date.now();
  await Promise.all(readers);
  return reads.map((read) => ({ sentMs: read.sent - changedAt, cache: read.cache, etag: read.etag }));
}

/** The entry's ETag as the service has it now (the same in every encoding: taken over the identity body). */
const currentEtag = async (path: string): Promise<string> => (await fromService(path, {})).headers.etag ?? '';

/**
 * An admin's price change of product `id` through the edge while four readers hammer `path`, an
 * edge hit in every class beforehand; every read sent 100 ms after the change answered must be the
 * new answer, and the edge must have answered both before the change and after it.
 */
async function expectPriceChangeVisible(path: string, id: string, priceCents: number): Promise<void> {
  for (const encoding of Object.keys(ENCODINGS) as EncodingClass[]) await untilEdgeHit(path, encodingHeader(encoding));
  const oldEtag = await currentEtag(path);
  const reads = await readWhileChanging(path, async () => {
    const changed = await fetch(`${stack.edge}${productPath(id)}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ priceCents }),
    });
    expect(changed.status).toBe(200);
  });
  const newEtag = await currentEtag(path);
  expect(newEtag).not.toBe(oldEtag);
  expect(reads.filter((read) => read.sentMs >= 100 && read.etag !== newEtag)).toEqual([]);
  expect(reads.filter((read) => read.cache === 'HIT-EDGE' && read.sentMs < 0).length).toBeGreaterThan(0);
  expect(reads.filter((read) => read.cache === 'HIT-EDGE' && read.sentMs >= 100).length).toBeGreaterThan(0);
}

describe('searches at the edge (one generation, bumped by every search worker after each index change)', () => {
  it.each(Object.keys(ENCODINGS) as EncodingClass[])('when a search is read twice with the %s encoding, then the second is HIT-EDGE with the status, headers and bytes the search service sent', async (encoding) => {
    const path = searchPath('q=thing&sort=price&limit=12');
    const { service, edge } = await untilEdgeHit(path, encodingHeader(encoding));
    expect(service.headers['x-cache']).toMatch(/^(HIT-L1|HIT-L2|HIT-FAST)$/);
    expect(entryPart(edge)).toEqual(entryPart(service));
    expect(edge.headers['content-encoding']).toBe(encoding === 'identity' ? undefined : encoding);
    expect(edge.headers).toMatchObject({ 'x-content-type-options': 'nosniff', vary: expect.stringContaining('Accept-Encoding') as unknown as string });
  });

  it('when a suggestion is read twice, then the second is HIT-EDGE with what the search service sent; a search with credentials or an unlisted encoding is never answered by the edge', async () => {
    const path = '/api/search/suggest?q=stu';
    const { service, edge } = await untilEdgeHit(path, encodingHeader('gzip'));
    expect(entryPart(edge)).toEqual(entryPart(service));
    const stored = searchPath('q=thing&limit=3');
    await untilEdgeHit(stored, encodingHeader('br'));
    const refused: Record<string, string>[] = [{ Authorization: `Bearer ${customerToken}` }, { Cookie: 'sid=1' }, { 'Accept-Encoding': 'br;q=0.5' }, { Range: 'bytes=0-1' }];
    for (const headers of refused) {
      const answer = await get(stored, { ...encodingHeader('br'), ...headers });
      expect({ headers, cache: answer.headers['x-cache'] }).not.toEqual({ headers, cache: 'HIT-EDGE' });
    }
  });

  it('when an admin changes the price of a product a search shows while readers hammer the search, then every read sent 100 ms after the change answered is the new answer', async () => {
    const path = searchPath('q=thing&sort=-price&limit=30');
    const hits = json<{ hits: { id: string; priceCents: number }[] }>(await fromService(path, {})).hits;
    const target = hits[hits.length - 1]!;
    await expectPriceChangeVisible(path, target.id, target.priceCents + 1);
    expect(json<{ hits: { id: string; priceCents: number }[] }>(await fromService(path, {})).hits.find((hit) => hit.id === target.id)?.priceCents).toBe(target.priceCents + 1);
  });

  it('when the edge answers a search many times, then the search workers count those answers in the popular ranking (which chooses what they warm), beside the ones they answered', async () => {
    const redis = createRedis({ url: process.env.REDIS_URL!, logger: createLogger('edge-popular-test', 'silent') });
    expect(await connectRedis(redis)).toBe(true);
    try {
      const key = `${stack.env.CACHE_PREFIX}search:popular`;
      const stamp = Date.now();
      const many = `q=popular${stamp}&limit=4`;
      const few = `q=rare${stamp}&limit=4`;
      // Each: the first two are the service's (a miss, then a hit the edge stores), the rest the edge's.
      for (let i = 0; i < 20; i++) await get(searchPath(many), encodingHeader('br'));
      for (let i = 0; i < 2; i++) await get(searchPath(few), encodingHeader('br'));
      const manyUrl = `/api/search?limit=4&q=popular${stamp}`;
      const fewUrl = `/api/search?limit=4&q=rare${stamp}`;
      // The workers take the edge's counts and push theirs every 5 s. The ranking halves all scores
      // once a minute: the ratio holds whatever happens in between.
      const deadline = Date.now() + 15_000;
      let scores = [0, 0];
      while (Date.now() < deadline) {
        scores = (await Promise.all([redis.zscore(key, manyUrl), redis.zscore(key, fewUrl)])).map(Number);
        if (scores[0]! >= 5 * scores[1]! && scores[1]! > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // Without the edge's counts both would stand at 2 (the requests the service saw).
      expect(scores[1]).toBeGreaterThan(0);
      expect(scores[0]).toBeGreaterThanOrEqual(5 * scores[1]!);
    } finally {
      redis.disconnect();
    }
  }, 30_000);
});

describe('invalidation through the edge', () => {
  it('when an admin changes a product through one service while readers hammer it, then every read sent 100 ms after the change answered is the new one, in every encoding class', async () => {
    const path = productPath(productIds[5]!);
    for (const encoding of Object.keys(ENCODINGS) as EncodingClass[]) await untilEdgeHit(path, encodingHeader(encoding));
    const oldEtag = await currentEtag(path);
    const newPrice = priceOf(await get(path)) + 1_234;
    const reads = await readWhileChanging(path, async () => {
      const changed = await fetch(`${stack.edge}${path}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ priceCents: newPrice }),
      });
      expect(changed.status).toBe(200);
    });
    const newEtag = await currentEtag(path);
    expect(priceOf(await fromService(path, {}))).toBe(newPrice);
    expect(newEtag).not.toBe(oldEtag);
    expect(reads.filter((read) => read.sentMs >= 100 && read.etag !== newEtag)).toEqual([]);
    // The edge answered before and after the change: it was in the path throughout.
    expect(reads.filter((read) => read.cache === 'HIT-EDGE' && read.sentMs < 0).length).toBeGreaterThan(0);
    expect(reads.filter((read) => read.cache === 'HIT-EDGE' && read.sentMs >= 100).length).toBeGreaterThan(0);
  });

  it('when an order changes a product’s stock (the order service) while readers hammer it, then every read sent 100 ms after the order answered is the new one', async () => {
    const id = productIds[6]!;
    const path = productPath(id);
    for (const encoding of Object.keys(ENCODINGS) as EncodingClass[]) await untilEdgeHit(path, encodingHeader(encoding));
    const stockOf = (answer: Answer): number => json<{ stockTotal: number }>(answer).stockTotal;
    const before = stockOf(await fromService(path, {}));
    const reads = await readWhileChanging(path, async () => {
      const placed = await fetch(`${stack.edge}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customerToken}`, 'content-type': 'application/json', 'idempotency-key': `edge-${Date.now()}` },
        body: JSON.stringify({ items: [{ productId: id, quantity: 2 }] }),
      });
      expect(placed.status).toBe(201);
    });
    expect(stockOf(await fromService(path, {}))).toBe(before - 2);
    const newEtag = await currentEtag(path);
    expect(reads.filter((read) => read.sentMs >= 100 && read.etag !== newEtag)).toEqual([]);
    expect(reads.filter((read) => read.cache === 'HIT-EDGE' && read.sentMs >= 100).length).toBeGreaterThan(0);
  });
});

describe('invalidation of listings through the edge (purged by the keys the workers recorded)', () => {
  it('when an admin changes the price of a product a listing shows while readers hammer the listing, then every read sent 100 ms after the change answered is the new listing', async () => {
    const path = listingPath('sort=-price&limit=40');
    const listed = json<{ items: { id: string; priceCents: number }[] }>(await fromService(path, {})).items;
    const target = listed[listed.length - 1]!;
    await expectPriceChangeVisible(path, target.id, target.priceCents + 1);
  });

  it('when an admin creates a product (a change every listing carries: a new generation of listings at the edge) while readers hammer a listing, then every read sent 100 ms after the creation answered is the new listing', async () => {
    const path = listingPath('sort=newest&limit=5');
    const category = json<{ items: { categoryId: string }[] }>(await fromService(path, {})).items[0]!.categoryId;
    for (const encoding of Object.keys(ENCODINGS) as EncodingClass[]) await untilEdgeHit(path, encodingHeader(encoding));
    const oldEtag = await currentEtag(path);
    const reads = await readWhileChanging(path, async () => {
      const created = await fetch(`${stack.edge}/api/catalog/products`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sku: `EDGE-${Date.now()}`, name: 'Edge newcomer', brand: 'Edgeworks', category, priceCents: 1_999 }),
      });
      expect(created.status).toBe(201);
    });
    const newEtag = await currentEtag(path);
    expect(newEtag).not.toBe(oldEtag);
    expect(json<{ items: { name: string }[] }>(await fromService(path, {})).items[0]!.name).toBe('Edge newcomer');
    expect(reads.filter((read) => read.sentMs >= 100 && read.etag !== newEtag)).toEqual([]);
    expect(reads.filter((read) => read.cache === 'HIT-EDGE' && read.sentMs < 0).length).toBeGreaterThan(0);
    expect(reads.filter((read) => read.cache === 'HIT-EDGE' && read.sentMs >= 100).length).toBeGreaterThan(0);
  });

  it('when an order changes the stock of a product a listing shows (the order service), while readers hammer the listing, then every read sent 100 ms after the order answered is the new listing', async () => {
    const id = productIds[11]!;
    const path = listingPath('sort=newest&limit=100&inStock=true');
    const listed = json<{ items: { id: string }[] }>(await fromService(path, {})).items;
    expect(listed.map((item) => item.id)).toContain(id);
    for (const encoding of Object.keys(ENCODINGS) as EncodingClass[]) await untilEdgeHit(path, encodingHeader(encoding));
    const oldEtag = await currentEtag(path);
    const reads = await readWhileChanging(path, async () => {
      const placed = await fetch(`${stack.edge}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customerToken}`, 'content-type': 'application/json', 'idempotency-key': `edge-list-${Date.now()}` },
        body: JSON.stringify({ items: [{ productId: id, quantity: 1 }] }),
      });
      expect(placed.status).toBe(201);
    });
    const newEtag = await currentEtag(path);
    expect(newEtag).not.toBe(oldEtag);
    expect(reads.filter((read) => read.sentMs >= 100 && read.etag !== newEtag)).toEqual([]);
    expect(reads.filter((read) => read.cache === 'HIT-EDGE' && read.sentMs >= 100).length).toBeGreaterThan(0);
  });
});

describe('the edge counts what it answers', () => {
  it('when the edge answers hits, then /metrics/edge counts them per route and status in the services’ metric names, and by layer', async () => {
    const read = async (): Promise<{ requests: number; listings: number; searches: number; hits: number; buckets: number }> => {
      const samples = parsePromText(await (await fetch(`${stack.edge}/metrics/edge`)).text());
      const sum = (name: string, match: (labels: Record<string, string>) => boolean) => samples.filter((s) => s.name === name && match(s.labels)).reduce((n, s) => n + s.value, 0);
      return {
        requests: sum('http_requests_total', (l) => l.service === 'edge' && l.route === '/api/catalog/products/:id' && l.method === 'GET' && l.status_code === '200'),
        listings: sum('http_requests_total', (l) => l.service === 'edge' && l.route === '/api/catalog/products' && l.method === 'GET' && l.status_code === '200'),
        // The search service's own label for the route (its router's base URL and path).
        searches: sum('http_requests_total', (l) => l.service === 'edge' && l.route === '/api/search/' && l.method === 'GET' && l.status_code === '200'),
        hits: sum('cache_hits_total', (l) => l.layer === 'edge'),
        buckets: sum('http_request_duration_seconds_bucket', (l) => l.le === '+Inf' && l.method === 'GET' && l.status_code === '200'),
      };
    };
    const path = productPath(productIds[7]!);
    const listing = listingPath('sort=newest&limit=7');
    await purge(path);
    await untilEdgeHit(path, encodingHeader('br'));
    await untilEdgeHit(listing, encodingHeader('br'));
    const search = searchPath('q=thing&limit=7');
    await untilEdgeHit(search, encodingHeader('br'));
    const before = await read();
    for (let i = 0; i < 25; i++) expect((await get(path, encodingHeader('br'))).headers['x-cache']).toBe('HIT-EDGE');
    for (let i = 0; i < 5; i++) expect((await get(listing, encodingHeader('br'))).headers['x-cache']).toBe('HIT-EDGE');
    for (let i = 0; i < 4; i++) expect((await get(search, encodingHeader('br'))).headers['x-cache']).toBe('HIT-EDGE');
    const after = await read();
    expect(after.requests - before.requests).toBe(25);
    expect(after.listings - before.listings).toBe(5);
    expect(after.searches - before.searches).toBe(4);
    expect(after.hits - before.hits).toBe(34);
    expect(after.buckets - before.buckets).toBe(34);
    // Each histogram series: cumulative buckets that never fall, ending at the count.
    const samples = parsePromText(await (await fetch(`${stack.edge}/metrics/edge`)).text());
    const series = new Map<string, number[]>();
    for (const sample of samples.filter((x) => x.name === 'http_request_duration_seconds_bucket')) {
      const id = `${sample.labels.method} ${sample.labels.status_code} ${sample.labels.route}`;
      series.set(id, [...(series.get(id) ?? []), sample.value]);
    }
    for (const [id, buckets] of series) {
      const count = samples.find((x) => x.name === 'http_request_duration_seconds_count' && `${x.labels.method} ${x.labels.status_code} ${x.labels.route}` === id)?.value;
      expect({ id, sorted: [...buckets].sort((a, b) => a - b), last: buckets.at(-1) }).toEqual({ id, sorted: buckets, last: count });
    }
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: await (await fetch(`${stack.edge}/metrics/edge`)).text(), encoding: 'utf8' });
    expect(promtool.error).toBeUndefined();
    expect([promtool.status, `${promtool.stdout}${promtool.stderr}`.trim()]).toEqual([0, '']);
  });

  it('when the edge answers a hit, then nginx’s access log has its line with the request id', async () => {
    const path = productPath(productIds[8]!);
    await untilEdgeHit(path, encodingHeader('br'));
    const id = `edge-log-${Date.now()}`;
    expect((await get(path, { ...encodingHeader('br'), 'X-Request-Id': id })).headers['x-cache']).toBe('HIT-EDGE');
    // The access log is written in 32 KB buffers flushed every second.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const line = readFileSync(stack.nginx.accessLog, 'utf8').split('\n').find((l) => l.includes(id));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ request_id: id, status: 200, upstream: '', uri: path });
  });

  it('when the purge, generation, popular-search or metrics location is asked from outside this machine, then nginx refuses with a JSON 403', async () => {
    const outside = externalAddress();
    const port = new URL(stack.edge).port;
    for (const [method, path] of [
      ['PURGE', `/_edge/purge/br${productPath(productIds[0]!)}`],
      ['PURGE', '/_edge/generation/search'],
      ['POST', '/_edge/popular/search'],
      ['GET', '/metrics/edge'],
    ] as const) {
      const res = await fetch(`http://${outside}:${port}${path}`, { method });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
  });
});

/**
 * A TCP proxy the test controls in front of nginx, for the services' purges only: `pass` forwards
 * both ways; `drop` takes each connection and what is sent on it, and never answers (nginx out of
 * reach: a partition, a dead host).
 */
async function purgeProxy(): Promise<{ url: string; target: number; mode: 'pass' | 'drop'; drop(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { target: 0, mode: 'pass' as 'pass' | 'drop' };
  /** From now on nothing gets through, kept-alive connections included (they are cut). */
  const drop = (): void => {
    state.mode = 'drop';
    for (const socket of sockets) socket.destroy();
  };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (state.mode === 'drop') return client.resume();
    const upstream = net.connect(state.target, '127.0.0.1');
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    drop,
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

describe('when the purges cannot reach nginx (a real fault: a proxy the test controls drops them)', () => {
  let lossy: Stack;
  let proxy: Awaited<ReturnType<typeof purgeProxy>>;

  beforeAll(async () => {
    proxy = await purgeProxy();
    lossy = await startStack({
      instances: 1,
      env: { ...db.serviceEnv, NODE_ENV: 'production', REDIS_URL: process.env.REDIS_URL, JWT_SECRET: stack.env.JWT_SECRET, RATE_LIMIT_MAX: '1000000', CACHE_PREFIX: `edge-lossy-${Date.now()}:`, EDGE_PURGE_URLS: proxy.url },
    }).catch(async (error: unknown) => {
      await proxy.close();
      throw error;
    });
    proxy.target = Number(new URL(lossy.edge).port);
  }, 150_000);

  afterAll(async () => {
    await proxy?.close();
  });

  /** A GET through the lossy stack's nginx, identity encoding. */
  const read = async (path: string): Promise<{ cache: string; price: number }> => {
    const res = await fetch(`${lossy.edge}${path}`, { headers: { 'Accept-Encoding': 'identity' } });
    return { cache: res.headers.get('x-cache') ?? '', price: ((await res.json()) as { priceCents: number }).priceCents };
  };
  const change = async (path: string, priceCents: number): Promise<{ status: number; ms: number }> => {
    const started = Date.now();
    const res = await fetch(`${lossy.edge}${path}`, { method: 'PATCH', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ priceCents }) });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - started };
  };
  const failedPurges = async (): Promise<number> =>
    parsePromText(await (await fetch(`http://127.0.0.1:${lossy.ports.catalog}/metrics`)).text())
      .filter((sample) => sample.name === 'edge_purges_total' && sample.labels.result === 'failed')
      .reduce((sum, sample) => sum + sample.value, 0);

  it('when the purges pass, then a change is read through the edge within 100 ms (the proxy itself changes nothing)', async () => {
    const path = productPath(productIds[11]!);
    for (let i = 0; i < 10 && (await read(path)).cache !== 'HIT-EDGE'; i++);
    const price = (await read(path)).price + 7;
    expect((await change(path, price)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await read(path)).price).toBe(price);
  });

  it('when every purge is lost, then the change is still answered at once, the loss is counted, and the old entry lives out its 10 s at most', async () => {
    const path = productPath(productIds[12]!);
    for (let i = 0; i < 10 && (await read(path)).cache !== 'HIT-EDGE'; i++);
    expect((await read(path)).cache).toBe('HIT-EDGE');
    const failedBefore = await failedPurges();
    proxy.drop();
    const price = (await read(path)).price + 11;
    const changed = await change(path, price);
    // The write waits for the first purge round's 250 ms deadline, no more.
    expect(changed.status).toBe(200);
    expect(changed.ms).toBeLessThan(2_000);
    expect(await failedPurges()).toBeGreaterThan(failedBefore);
    // The edge still holds the old answer (nothing reached it) ...
    expect(await read(path)).toEqual({ cache: 'HIT-EDGE', price: price - 11 });
    // ... until its lifetime (10 s; nginx counts whole seconds) is over.
    const deadline = Date.now() + 12_000;
    let seen = await read(path);
    while (seen.price !== price && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      seen = await read(path);
    }
    expect(seen.price).toBe(price);
    proxy.mode = 'pass';
  }, 30_000);
});
