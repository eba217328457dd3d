import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { Redis } from 'ioredis';
import { createCache, httpCache, type Cache, type HttpCacheMiddleware } from '../src/index.ts';
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
  cache = createCache({ redis, prefix: `mw-${randomUUID()}:` });
  warmable = httpCache({ cache, namespace: 'test', ttl: 60_000 });
  const app = express();
  app.set('trust proxy', 1);
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
  app.get('/warmable', warmable, (_req, res) => {
    handlerCalls++;
    res.json({ rendered: 'by the handler' });
  });
  app.get('/swr', httpCache({ cache, namespace: 'test', ttl: 100, staleWhileRevalidate: 10_000 }), async (_req, res) => {
    handlerCalls++;
    await sleep(slowMs);
    res.json({ version });
  });
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

