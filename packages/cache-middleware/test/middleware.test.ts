import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { Redis } from 'ioredis';
import { createCache, createEdgeKeys, EDGE_PURGEABLE, httpCache, type Cache, type HttpCacheMiddleware } from '../src/index.ts';
import { acceptQuality } from '../src/middleware.ts';
import { sleep, testRedis } from './support/redis.ts';

let redis: Redis;
let cache: Cache;
let server: http.Server;
let base: string;
let handlerCalls = 0;
let version = 1;
let slowMs = 0;
let warmable: HttpCacheMiddleware;
const prefix = `mw-${randomUUID()}:`;
/** The record /listed keeps of its edge keys. */
const edgeKeys = createEdgeKeys();
/** Products /gone/:id answers 404 for ("deleted"). */
const gone = new Set<string>();

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Raw HTTP, so encodings and headers are seen exactly as sent. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const json = (raw: Raw): Record<string, unknown> => JSON.parse(raw.body.toString('utf8'));

beforeAll(async () => {
  redis = await testRedis();
  cache = createCache({ redis, prefix });
  warmable = httpCache({ cache, namespace: 'test', ttl: 60_000 });
  const app = express();
  app.set('trust proxy', 1);
  app.set('etag', false); // as the services set it: validators come from the cache alone
  const big = 'lorem ipsum dolor sit amet '.repeat(120);
  app.get(
    '/items/:id',
    httpCache({ cache, namespace: 'test', ttl: 60_000, tags: (req) => [`item:${String(req.params.id)}`] }),
    (req, res) => {
      handlerCalls++;
      res.json({ id: req.params.id, version, query: req.query, host: req.hostname, xfh: req.get('x-forwarded-host') ?? null, big });
    },
  );
  app.get('/small', httpCache({ cache, namespace: 'test', ttl: 60_000 }), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/lang', httpCache({ cache, namespace: 'test', ttl: 60_000, varyHeaders: ['accept-language'] }), (req, res) => {
    res.json({ lang: req.get('accept-language') ?? 'none' });
  });
  app.get('/missing', httpCache({ cache, namespace: 'test', ttl: 60_000 }), (_req, res) => {
    handlerCalls++;
    res.status(404).json({ error: { code: 'NOT_FOUND' } });
  });
  app.get('/listed', httpCache({ cache, namespace: 'test', ttl: 60_000, tags: () => ['listed', 'item:7'], edgeKeys }), (req, res) => {
    handlerCalls++;
    res.json({ page: req.query.page ?? null, big });
  });
  app.get('/warmable', warmable, (_req, res) => {
    handlerCalls++;
    res.json({ rendered: 'by the handler' });
  });
  app.get('/swr', httpCache({ cache, namespace: 'test', ttl: 100, staleWhileRevalidate: 10_000 }), async (_req, res) => {
    handlerCalls++;
    await sleep(slowMs);
    res.json({ version });
  });
  app.get('/private', httpCache({ cache, namespace: 'test', ttl: 60_000 }), (_req, res) => {
    handlerCalls++;
    res.setHeader('Cache-Control', 'no-store');
    res.json({ secret: handlerCalls });
  });
  app.get(
    '/gone/:id',
    httpCache({ cache, namespace: 'test', ttl: 100, staleIfError: 60_000 }),
    (req, res) => {
      handlerCalls++;
      if (gone.has(String(req.params.id))) res.status(404).json({ error: { code: 'NOT_FOUND' } });
      else if (req.params.id === 'down') res.status(503).setHeader('Retry-After', '7').json({ error: { code: 'DEPENDENCY_UNAVAILABLE' } });
      else res.json({ id: req.params.id, big });
    },
  );
  server = http.createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await cache.close();
  await redis.quit();
});

describe('HTTP cache middleware', () => {
  it('when the same URL is fetched twice, then MISS then HIT-L1 and the handler ran once', async () => {
    const before = handlerCalls;
    const first = await get('/items/1');
    const second = await get('/items/1');
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT-L1']);
    expect(second.body.equals(first.body)).toBe(true);
    expect(handlerCalls - before).toBe(1);
    expect(second.headers['cache-control']).toBe('public, max-age=60');
  });

  it('when If-None-Match carries the ETag, then 304 with no body', async () => {
    const first = await get('/items/2');
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const revalidated = await get('/items/2', { 'If-None-Match': etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    expect(revalidated.headers.etag).toBe(etag);
    expect((await get('/items/2', { 'If-None-Match': '"other"' })).status).toBe(200);
    expect((await get('/items/2', { 'If-None-Match': `W/${etag}` })).status).toBe(304);
  });

  it('when query parameters come in another order, then they share one entry', async () => {
    const before = handlerCalls;
    const first = await get('/items/3?a=1&b=2');
    const second = await get('/items/3?b=2&a=1');
    expect(second.headers['x-cache']).toBe('HIT-L1');
    expect(handlerCalls - before).toBe(1);
    expect(json(second).query).toEqual({ a: '1', b: '2' });
    expect(first.headers.etag).toBe(second.headers.etag);
  });

  it('when an attacker sends X-Forwarded-Host or another undeclared header, then what others get is unaffected', async () => {
    const poisoned = await get('/items/4', { 'X-Forwarded-Host': 'evil.example', 'X-Original-URL': '/admin', 'X-Anything': 'x' });
    const victim = await get('/items/4');
    expect(victim.headers['x-cache']).toBe('HIT-L1');
    expect(victim.body.toString()).not.toContain('evil.example');
    expect(poisoned.body.toString()).not.toContain('evil.example');
    expect(json(victim)).toMatchObject({ host: '127.0.0.1', xfh: null });
  });

  it('when a declared vary header differs, then each value gets its own entry', async () => {
    const en = await get('/lang', { 'Accept-Language': 'en' });
    const fr = await get('/lang', { 'Accept-Language': 'fr' });
    expect(json(en).lang).toBe('en');
    expect(json(fr).lang).toBe('fr');
    expect(fr.headers.vary).toBe('Accept-Encoding, accept-language');
  });

  it('when the client accepts br or gzip, then the stored compressed bytes are served, with Vary: Accept-Encoding', async () => {
    const identity = await get('/items/5');
    const br = await get('/items/5', { 'Accept-Encoding': 'gzip, br' });
    const gzip = await get('/items/5', { 'Accept-Encoding': 'gzip' });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(brotliDecompressSync(br.body).equals(identity.body)).toBe(true);
    expect(gunzipSync(gzip.body).equals(identity.body)).toBe(true);
    expect(br.body.length).toBeLessThan(identity.body.length * 0.25);
    for (const res of [identity, br, gzip]) expect(res.headers.vary).toBe('Accept-Encoding');
    expect(br.headers.etag).toBe(identity.headers.etag);
  });

  it('when the body is under 1 KB, then it is served uncompressed to everyone', async () => {
    const small = await get('/small', { 'Accept-Encoding': 'br, gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(json(small)).toEqual({ ok: true });
  });

  it('when HEAD is used, then headers match GET and there is no body', async () => {
    const getRes = await get('/items/6');
    const head = await get('/items/6', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers.etag).toBe(getRes.headers.etag);
    expect(head.headers['content-length']).toBe(getRes.headers['content-length']);
    expect(head.headers['x-cache']).toBe('HIT-L1');
  });

  it('when the response is not a 200, then it is passed through and never stored', async () => {
    const before = handlerCalls;
    const first = await get('/missing');
    const second = await get('/missing');
    expect([first.status, second.status]).toEqual([404, 404]);
    expect(second.headers['x-cache']).toBe('BYPASS');
    expect(handlerCalls - before).toBe(2);
  });

  it('when the request carries credentials, then the cache is bypassed', async () => {
    await get('/items/7');
    const authed = await get('/items/7', { Authorization: 'Bearer x' });
    expect(authed.headers['x-cache']).toBe('BYPASS');
  });

  it('when a tag is invalidated, then the next request is a MISS with the new data', async () => {
    await get('/items/8');
    version = 2;
    await cache.invalidateTags(['item:8']);
    const after = await get('/items/8');
    expect(after.headers['x-cache']).toBe('MISS');
    expect(json(after).version).toBe(2);
    version = 1;
  });

  it('when an entry is stale, then concurrent requests get STALE while exactly one refresh runs', async () => {
    version = 10;
    await get('/swr');
    await sleep(150);
    version = 11;
    slowMs = 200;
    const before = handlerCalls;
    const refresher = get('/swr');
    await sleep(30);
    const during = await Promise.all(Array.from({ length: 5 }, () => get('/swr')));
    expect(during.map((r) => r.headers['x-cache'])).toEqual(Array(5).fill('STALE'));
    expect(during.map((r) => json(r).version)).toEqual(Array(5).fill(10));
    const refreshed = await refresher;
    expect(json(refreshed).version).toBe(11);
    expect(handlerCalls - before).toBe(1);
    slowMs = 0;
    expect((await get('/swr')).headers['x-cache']).toBe('HIT-L1');
    expect(cache.counters.snapshot().stale.revalidating).toBeGreaterThanOrEqual(5);
  });

  it('when Accept-Encoding weighs codings, then q-values decide and brotli wins ties', () => {
    expect(acceptQuality('gzip, br', 'br')).toBe(1);
    expect(acceptQuality('br;q=0, gzip', 'br')).toBe(0);
    expect(acceptQuality('gzip;q=0.8, *;q=0.1', 'br')).toBe(0.1);
    expect(acceptQuality(undefined, 'gzip')).toBe(0);
    // Optional whitespace around `;` and `=` (RFC 9110 §5.6.6).
    expect(acceptQuality('gzip ;q=1', 'gzip')).toBe(1);
    expect(acceptQuality('br; q = 0, gzip', 'br')).toBe(0);
    expect(acceptQuality('br ; q=0.5', 'br')).toBe(0.5);
  });

  it('when the client refuses brotli, then it gets gzip', async () => {
    const res = await get('/items/5', { 'Accept-Encoding': 'br;q=0, gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
  });

  it('when a URL is too long to be a key, then it is answered uncached (BYPASS), never an error', async () => {
    const before = handlerCalls;
    const res = await get(`/items/long?pad=${'x'.repeat(600)}`);
    expect(res.status).toBe(200);
    expect(res.headers['x-cache']).toBe('BYPASS');
    expect((await get(`/items/long?pad=${'x'.repeat(600)}`)).headers['x-cache']).toBe('BYPASS');
    expect(handlerCalls - before).toBe(2);
  });

  it('when a URL is warmed, then its first request is a hit with exactly the JSON a handler would send, and a fresh entry is not rendered again', async () => {
    let renders = 0;
    const render = async (): Promise<unknown> => {
      renders++;
      return { rendered: 'by warming', list: [1, 2, 3] };
    };
    expect(await warmable.warm('/warmable?b=2&a=1', render, ['warm-tag'])).toBe('MISS');
    expect(await warmable.warm('/warmable?a=1&b=2', render, ['warm-tag'])).toBe('HIT-L1');
    expect(renders).toBe(1);
    const before = handlerCalls;
    const res = await get('/warmable?a=1&b=2');
    expect(res.headers['x-cache']).toBe('HIT-L1');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json(res)).toEqual({ rendered: 'by warming', list: [1, 2, 3] });
    expect(handlerCalls).toBe(before);
    // Warmed entries carry their tags like any other.
    await cache.invalidateTags(['warm-tag']);
    expect(json(await get('/warmable?a=1&b=2'))).toEqual({ rendered: 'by the handler' });
  });
});

describe('requests that are not a plain GET, on a key nobody has cached yet', () => {
  /** What a plain GET of `path` is given, from a URL of its own (same handler, same answer). */
  const reference = async (path: string): Promise<Raw> => get(path);

  it('when the first request for a URL is a HEAD, then it gets the headers a GET gets and the GETs after it get the whole body', async () => {
    const head = await get('/items/cold-head', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['x-cache']).toBe('MISS');
    const after = [await get('/items/cold-head'), await get('/items/cold-head', { 'Accept-Encoding': 'gzip' })];
    expect(after.map((r) => r.headers['x-cache'])).toEqual(['HIT-L1', 'HIT-L1']);
    expect(json(after[0]!)).toMatchObject({ id: 'cold-head' });
    expect(head.headers['content-length']).toBe(String(after[0]!.body.length));
    expect(head.headers.etag).toBe(after[0]!.headers.etag);
    expect(gunzipSync(after[1]!.body).equals(after[0]!.body)).toBe(true);
  });

  it('when HEAD and GETs for a cold URL arrive together, then every GET gets the whole body', async () => {
    slowMs = 0;
    const [head, ...gets] = await Promise.all([get('/items/cold-together', {}, 'HEAD'), get('/items/cold-together'), get('/items/cold-together')]);
    expect(head!.body.length).toBe(0);
    for (const r of gets) expect(json(r)).toMatchObject({ id: 'cold-together' });
  });

  it('when the first request carries If-None-Match: *, then it gets a 304 and the GETs after it get the whole body', async () => {
    const conditional = await get('/items/cold-star', { 'If-None-Match': '*' });
    expect(conditional.status).toBe(304);
    expect(conditional.body.length).toBe(0);
    const plain = await get('/items/cold-star');
    expect(plain.status).toBe(200);
    expect(json(plain)).toMatchObject({ id: 'cold-star' });
    expect(plain.headers.etag).toBe(conditional.headers.etag);
  });

  it('when the first request carries a stale If-None-Match or If-Modified-Since, then it and the GETs after it get the whole body', async () => {
    const first = await get('/items/cold-ims', { 'If-None-Match': '"old"', 'If-Modified-Since': new Date().toUTCString() });
    expect(first.status).toBe(200);
    expect(json(first)).toMatchObject({ id: 'cold-ims' });
    expect((await get('/items/cold-ims')).body.equals(first.body)).toBe(true);
  });

  it('when the first request asks for a Range, then ranges are not served (200, the whole body, Accept-Ranges: none) and the GETs after it get the whole body', async () => {
    const ranged = await get('/items/cold-range', { Range: 'bytes=0-9', 'If-Range': '"x"' });
    expect(ranged.status).toBe(200);
    expect(ranged.headers['accept-ranges']).toBe('none');
    expect(ranged.headers['content-range']).toBeUndefined();
    const plain = await reference('/items/cold-range');
    expect(plain.body.equals(ranged.body)).toBe(true);
    expect(json(plain)).toMatchObject({ id: 'cold-range' });
  });

  it('when the handler answers Cache-Control: no-store, then nothing is stored and the client sees no-store, not the public policy', async () => {
    const before = handlerCalls;
    const first = await get('/private');
    const second = await get('/private');
    expect(handlerCalls - before).toBe(2);
    expect(json(second).secret).not.toBe(json(first).secret);
    for (const r of [first, second]) {
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['x-cache']).toBe('BYPASS');
      expect(r.headers.etag).toBeUndefined();
    }
  });

  it('when an uncacheable 503 is passed through, then its Retry-After reaches the client', async () => {
    const down = await get('/gone/down');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('7');
    expect(down.headers['cache-control']).toBeUndefined();
  });

  it('when a cached product is deleted and its entry goes stale, then the 404 is answered at once, not the old page (stale-if-error covers failures only)', async () => {
    const first = await get('/gone/42');
    expect(first.status).toBe(200);
    gone.add('42');
    await sleep(250);
    const afterDelete = await get('/gone/42');
    expect(afterDelete.status).toBe(404);
    expect(afterDelete.headers['x-cache']).toBe('BYPASS');
    // …and the stale entry is dropped: nothing brings the old page back.
    expect(await cache.get('http:test:/gone/42')).toBeUndefined();
    gone.delete('42');
  });
});

describe('edge keys (a policy whose answers nginx may hold under the raw URL)', () => {
  it('when a listing is answered from a fresh entry (L1 or L2) to a request an edge location keyed by a class, then its raw URL is recorded with the entry’s tags and the 200 is marked; a MISS, a 304 and a request from elsewhere are not', async () => {
    const url = `/listed?page=${randomUUID()}&b=1`;
    const marked = (raw: Raw) => [raw.headers['x-cache'], raw.headers[EDGE_PURGEABLE.toLowerCase()]];
    expect(marked(await get(url, { 'Accept-Encoding': 'br', 'X-Edge-Class': 'br' }))).toEqual(['MISS', undefined]);
    const hit = await get(url, { 'Accept-Encoding': 'br', 'X-Edge-Class': 'br' });
    expect([...marked(hit), hit.headers['content-encoding']]).toEqual(['HIT-L1', 'yes', 'br']);
    expect(marked(await get(url, { 'Accept-Encoding': 'br' }))).toEqual(['HIT-L1', undefined]);
    expect(marked(await get(url, { 'X-Edge-Class': 'gzip', 'If-None-Match': hit.headers.etag as string }))).toEqual(['HIT-L1', undefined]);
    // From L2, in another worker (its own cache and record on the same prefix).
    const reordered = `/listed?b=1&page=${new URL(url, base).searchParams.get('page')}`;
    const otherCache = createCache({ redis, prefix });
    const otherKeys = createEdgeKeys();
    const other = express().get('/listed', httpCache({ cache: otherCache, namespace: 'test', ttl: 60_000, tags: () => ['listed', 'item:7'], edgeKeys: otherKeys }), () => {
      throw new Error('the other worker found the entry in L2');
    });
    const otherServer = http.createServer(other).listen(0, '127.0.0.1');
    await once(otherServer, 'listening');
    try {
      const fromL2 = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get(`http://127.0.0.1:${(otherServer.address() as AddressInfo).port}${reordered}`, { headers: { 'X-Edge-Class': 'identity' } }, resolve).once('error', reject),
      );
      fromL2.resume();
      expect([fromL2.headers['x-cache'], fromL2.headers[EDGE_PURGEABLE.toLowerCase()]]).toEqual(['HIT-L2', 'yes']);
      expect(otherKeys.take(['item:7'])).toEqual([{ path: reordered, encoding: 'identity' }]);
    } finally {
      otherServer.closeAllConnections();
      await new Promise((resolve) => otherServer.close(resolve));
      await otherCache.close();
    }
    expect(edgeKeys.take(['item:7'])).toEqual([{ path: url, encoding: 'br' }]);
  });

  it('when an L2 read is overtaken by an invalidation this worker applied (L1 refuses the entry), then its answer is not marked for the edge', async () => {
    const url = `/listed?page=${randomUUID()}`;
    await get(url, { 'X-Edge-Class': 'br' });
    // This worker drops the tag from its L1 only, as an invalidation from the bus does after the
    // writer already cleared L2 (here L2 keeps the entry: the read that overtook it).
    await cache.l1?.deleteTags(['listed']);
    const answer = await get(url, { 'X-Edge-Class': 'br' });
    expect([answer.headers['x-cache'], answer.headers[EDGE_PURGEABLE.toLowerCase()]]).toEqual(['HIT-L2', undefined]);
    expect(edgeKeys.take(['listed']).filter((key) => key.path === url)).toEqual([]);
  });
});

describe('invalidation observers', () => {
  it('when another cache on the prefix invalidates, then onRemoteInvalidation sees its tags and its own invalidations are not echoed', async () => {
    const prefix = `obs-${randomUUID()}:`;
    const seen: string[][] = [];
    const observerRedis = await testRedis();
    const writerRedis = await testRedis();
    const observer = createCache({ redis: observerRedis, prefix, onRemoteInvalidation: (message) => seen.push([...(message.tags ?? [])]) });
    const writer = createCache({ redis: writerRedis, prefix });
    try {
      await sleep(200); // both subscriptions established
      await observer.invalidateTags(['own-tag']);
      await writer.invalidateTags(['product:1', 'products:list']);
      const deadline = Date.now() + 2_000;
      while (seen.length === 0 && Date.now() < deadline) await sleep(10);
      expect(seen).toEqual([['product:1', 'products:list']]);
    } finally {
      await observer.close();
      await writer.close();
      await observerRedis.quit();
      await writerRedis.quit();
    }
  });
});

