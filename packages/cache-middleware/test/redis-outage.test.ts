/**
 * A dedicated redis-server is stopped under an Express app served through httpCache, then
 * restarted on the same port: requests keep answering 200 within the command timeout while it is
 * down, and the L2 and the invalidation bus work again once it is back.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, type StartedRedis } from '../../../scripts/lib/redis-server.ts';
import { createCache, httpCache, type Cache, type HttpEntry } from '../src/index.ts';
import { keyFor, normalizedUrl } from '../src/middleware.ts';
import { sleep } from './support/redis.ts';

const COMMAND_TIMEOUT_MS = 250;
/** Every request must answer within the command timeout plus this margin. */
const BUDGET_MS = COMMAND_TIMEOUT_MS + 200;
const L1_MAX_ENTRIES = 20;
const NAMESPACE = 'outage';

/** A fail-fast client, as the services create it. */
function failFastRedis(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // As service-kit's createRedis: auto-pipelined, and a command may wait for the batch in
    // flight before its own is sent, so each batch gets half of the budget.
    enableAutoPipelining: true,
    commandTimeout: COMMAND_TIMEOUT_MS / 2,
    maxRetriesPerRequest: 1,
    retryStrategy: (n) => Math.min(n * 100, 1_000),
    disconnectTimeout: 200,
  });
  // Connection errors are expected here (that is the test); without a listener ioredis prints them.
  client.on('error', () => {});
  return client;
}

/** QUIT when connected; otherwise disconnect and outwait ioredis' 200 ms disconnectTimeout timer. */
async function closeClient(client: Redis | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
    return;
  }
  client.disconnect();
  await sleep(250);
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
  return performance.now() - started;
}

/** The in-memory "database": ~2 KB of JSON per product. */
function productRow(id: number): Record<string, unknown> {
  return {
    id,
    sku: `SKU-${String(id).padStart(6, '0')}`,
    name: `Product ${id}`,
    price: { amount: 1999 + id, currency: 'EUR' },
    stock: 100 + (id % 17),
    attributes: Array.from({ length: 12 }, (_, i) => ({ name: `attribute-${i}`, value: `value ${i} of product ${id}` })),
    description: `Description of product ${id}. `.repeat(30),
  };
}

interface Answer {
  status: number;
  xCache: string | undefined;
  ms: number;
  /** The body, decoded (br / gzip) and parsed. */
  json: unknown;
}

let server: StartedRedis;
let port: number;
let prefix: string;
let client: Redis;
let peerClient: Redis;
let cache: Cache;
let peer: Cache;
let http1: http.Server;
let base: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
const cacheErrors: string[] = [];
let handlerCalls = 0;

function get(path: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { agent, headers: { 'accept-encoding': 'br, gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const ms = performance.now() - started;
        const raw = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        const body = encoding === 'br' ? brotliDecompressSync(raw) : encoding === 'gzip' ? gunzipSync(raw) : raw;
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = body.toString('utf8');
        }
        resolve({ status: res.statusCode ?? 0, xCache: res.headers['x-cache'] as string | undefined, ms, json });
      });
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

/** The cache key httpCache uses for `/products/:id`. */
const productKey = (id: number): string =>
  keyFor(normalizedUrl(`/products/${id}`), NAMESPACE, [], () => undefined);

beforeAll(async () => {
  port = await freePort();
  server = await startRedisServer(port);
  prefix = `outage-${randomUUID()}:`;
  client = failFastRedis(server.url);
  peerClient = failFastRedis(server.url);
  await Promise.all([client.connect(), peerClient.connect()]);
  cache = createCache({
    redis: client,
    prefix,
    l1: { maxEntries: L1_MAX_ENTRIES },
    onError: (error, context) => cacheErrors.push(`${context}: ${(error as Error).message}`),
  });
  // Another instance of the same service (its own L1 and subscriber) on the same Redis.
  peer = createCache({ redis: peerClient, prefix, onError: () => {} });

  const app = express();
  app.get(
    '/products/:id',
    httpCache({ cache, namespace: NAMESPACE, ttl: 60_000, tags: (req) => [`product:${String(req.params.id)}`] }),
    (req, res) => {
      handlerCalls++;
      res.json(productRow(Number(req.params.id)));
    },
  );
  app.get('/uncached/:id', (req, res) => {
    res.json(productRow(Number(req.params.id)));
  });
  http1 = app.listen(0, '127.0.0.1');
  await once(http1, 'listening');
  base = `http://127.0.0.1:${(http1.address() as AddressInfo).port}`;

  // Both buses are subscribed before anything is measured: publish probes until each applied one.
  for (const c of [cache, peer]) {
    const deadline = Date.now() + 5_000;
    while (c.counters.snapshot().invalidations.remote === 0) {
      if (Date.now() > deadline) throw new Error('invalidation bus did not subscribe within 5 s');
      await client.publish(`${prefix}invalidate`, JSON.stringify({ keys: ['bus-probe'] }));
      await sleep(10);
    }
  }
});

afterAll(async () => {
  agent.destroy();
  if (http1) {
    http1.closeAllConnections();
    await new Promise((resolve) => http1.close(resolve));
  }
  await Promise.all([cache?.close(), peer?.close()]);
  await Promise.all([closeClient(client), closeClient(peerClient)]);
  await server?.stop();
});

describe('Redis outage under httpCache', () => {
  let l2HitsBeforeOutage = 0;

  it('when Redis is up, then responses are cached in L1 and L2 (an L1-evicted key comes back as HIT-L2)', async () => {
    expect((await get('/products/9')).xCache).toBe('MISS');
    // More new keys than L1 holds: /products/9 is evicted from L1 but still in Redis.
    for (let id = 200; id < 200 + L1_MAX_ENTRIES + 5; id++) expect((await get(`/products/${id}`)).xCache).toBe('MISS');
    expect(cache.peekFresh(productKey(9))).toBeUndefined();
    expect((await get('/products/9')).xCache).toBe('HIT-L2');

    for (const id of [1, 2, 3]) expect((await get(`/products/${id}`)).xCache).toBe('MISS');
    for (const id of [1, 2, 3]) {
      const answer = await get(`/products/${id}`);
      expect(answer).toMatchObject({ status: 200, xCache: 'HIT-L1' });
    }
    l2HitsBeforeOutage = cache.counters.snapshot().hits.l2;
    expect(l2HitsBeforeOutage).toBe(1);
    expect(cache.counters.snapshot().l2Errors).toBe(0);
  });

  it('when Redis stops mid-burst, then L1 hits, uncached reads and MISSes of new keys all answer 200 within 450 ms, 200 of them while it is down', async () => {
    const answers: (Answer & { kind: 'l1' | 'uncached' | 'new'; afterStop: boolean; id: number })[] = [];
    const STOP_AFTER = 40;
    const WHILE_DOWN = 200;
    let stopped = false;
    let stopping: Promise<void> | undefined;
    let issued = 0;
    let issuedWhileDown = 0;

    // 10 keep-alive connections; Redis is stopped once 40 requests went out, and the burst goes
    // on until 200 more requests were sent after redis-server had exited.
    const next = async (): Promise<void> => {
      while (issuedWhileDown < WHILE_DOWN && issued < 5_000) {
        const i = issued++;
        if (i === STOP_AFTER) stopping = server.stop().then(() => void (stopped = true));
        const afterStop = stopped;
        if (afterStop) issuedWhileDown++;
        const kind = (['l1', 'uncached', 'new'] as const)[i % 3]!;
        const path =
          kind === 'l1' ? `/products/${1 + (Math.floor(i / 3) % 3)}` : kind === 'uncached' ? `/uncached/${i}` : `/products/${1_000 + i}`;
        answers.push({ ...(await get(path)), kind, afterStop, id: Number(path.slice(path.lastIndexOf('/') + 1)) });
      }
    };
    await Promise.all(Array.from({ length: 10 }, () => next()));
    await stopping;

    const afterStop = answers.filter((a) => a.afterStop);
    const slowest = answers.reduce((worst, a) => (a.ms > worst.ms ? a : worst));
    const byKind = (kind: string) => afterStop.filter((a) => a.kind === kind);
    const p = (list: Answer[], q: number) => list.map((a) => a.ms).sort((x, y) => x - y)[Math.floor((list.length - 1) * q)] ?? NaN;
    console.log(
      `[redis-outage] ${answers.length} requests, ${afterStop.length} after redis-server stopped: ` +
        `slowest ${slowest.ms.toFixed(1)} ms (${slowest.kind}, ${slowest.afterStop ? 'after' : 'before/while'} stop), p50 ${p(afterStop, 0.5).toFixed(2)} ms, p99 ${p(afterStop, 0.99).toFixed(1)} ms; ` +
        `X-Cache after stop: ${JSON.stringify(Object.fromEntries(['HIT-L1', 'MISS', 'undefined'].map((s) => [s, afterStop.filter((a) => String(a.xCache) === s).length])))}`,
    );

    expect(client.status).not.toBe('ready');
    expect(afterStop.length).toBe(WHILE_DOWN);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    for (const answer of answers) expect(answer.ms).toBeLessThan(BUDGET_MS);
    for (const answer of answers) expect(answer.json).toEqual(productRow(answer.id));
    expect(byKind('l1').every((a) => a.xCache === 'HIT-L1')).toBe(true);
    expect(byKind('new').every((a) => a.xCache === 'MISS')).toBe(true);
    expect(byKind('uncached').every((a) => a.xCache === undefined)).toBe(true);
    // L2 was really tried against the dead Redis (failures absorbed), and no L2 hit happened.
    expect(cache.counters.snapshot().l2Errors).toBeGreaterThan(0);
    expect(cache.counters.snapshot().hits.l2).toBe(l2HitsBeforeOutage);
  });

  it('when Redis restarts on the same port, then the client is ready within 5 s and both invalidation buses resubscribe', async () => {
    // L1 stayed bounded while Redis was down, so later reads have to go to L2.
    expect(cache.l1!.size).toBeLessThanOrEqual(L1_MAX_ENTRIES);
    const resyncs = [cache, peer].map((c) => c.counters.snapshot().invalidations.resync);

    server = await startRedisServer(port);
    const readyMs = await until('clients ready after restart', () => client.status === 'ready' && peerClient.status === 'ready', 5_000);
    // Each subscriber connection came back and resubscribed (and its cache dropped its L1).
    await until('bus resubscribed', () => cache.counters.snapshot().invalidations.resync > resyncs[0]!, 5_000);
    await until('peer bus resubscribed', () => peer.counters.snapshot().invalidations.resync > resyncs[1]!, 5_000);
    console.log(`[redis-outage] clients ready ${readyMs.toFixed(0)} ms after redis-server restarted on port ${port}`);
  });

  it('when the client is ready again, then a key written after the restart is in Redis and served as HIT-L2 once out of L1', async () => {
    expect(client.status).toBe('ready');
    const handlerBefore = handlerCalls;
    expect((await get('/products/500')).xCache).toBe('MISS');
    // The MISS was written through to the restarted Redis …
    expect(await client.exists(`${prefix}e:${productKey(500)}`)).toBe(1);
    // … so once more new keys than L1 holds have pushed it out, it comes back from L2.
    for (let id = 600; id < 600 + L1_MAX_ENTRIES + 5; id++) expect((await get(`/products/${id}`)).xCache).toBe('MISS');
    expect(cache.peekFresh(productKey(500))).toBeUndefined();
    const l2Before = cache.counters.snapshot().hits.l2;
    expect(await get('/products/500')).toMatchObject({ status: 200, xCache: 'HIT-L2', json: productRow(500) });
    expect(cache.counters.snapshot().hits.l2).toBe(l2Before + 1);
    expect(cache.counters.snapshot().hits.l2).toBeGreaterThan(l2HitsBeforeOutage);
    expect(handlerCalls).toBe(handlerBefore + 1 + L1_MAX_ENTRIES + 5);

    // The other instance, whose L1 never held it, reads the same entry from L2.
    const fromPeer = await peer.resolve<HttpEntry>(productKey(500), () => Promise.reject(new Error('must not load')));
    expect(fromPeer.status).toBe('HIT-L2');
    expect(JSON.parse(fromPeer.value.body.toString('utf8'))).toEqual(productRow(500));
  });

  it("when another instance invalidates after the restart, then this instance's L1 entry is dropped", async () => {
    expect((await get('/products/700')).xCache).toBe('MISS');
    expect((await get('/products/700')).xCache).toBe('HIT-L1');
    expect(cache.peekFresh(productKey(700))).toBeDefined();

    const remoteBefore = cache.counters.snapshot().invalidations.remote;
    await peer.invalidateTags(['product:700']);
    const ms = await until('remote invalidation', () => cache.peekFresh(productKey(700)) === undefined, 1_000);
    console.log(`[redis-outage] an invalidation from the other instance cleared this L1 within ${Math.ceil(ms)} ms (10 ms polls) after the restart`);
    expect(cache.counters.snapshot().invalidations.remote).toBe(remoteBefore + 1);

    const handlerBefore = handlerCalls;
    expect((await get('/products/700')).xCache).toBe('MISS');
    expect(handlerCalls).toBe(handlerBefore + 1);
  });
});
