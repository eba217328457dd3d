import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { createBreaker } from '../src/breaker.ts';
import { createCache, createRedisLayer, InvalidKeyError, LoaderError, type Cache, type CacheOptions } from '../src/index.ts';
import { faultyLayer } from './support/faulty-layer.ts';
import { sleep, testRedis } from './support/redis.ts';

let redis: Redis;
const caches: Cache[] = [];

beforeAll(async () => {
  redis = await testRedis();
});

afterAll(async () => {
  await Promise.all(caches.map((cache) => cache.close()));
  await redis.quit();
});

type Setup = (extra?: Partial<CacheOptions>) => Cache;

const configurations: [string, Setup][] = [
  ['L1 only', (extra) => createCache({ l1: {}, ...extra })],
  ['L2 only', (extra) => createCache({ redis, prefix: `c-${randomUUID()}:`, l1: false, ...extra })],
  ['L1 + L2', (extra) => createCache({ redis, prefix: `c-${randomUUID()}:`, ...extra })],
];

const track = (cache: Cache): Cache => {
  caches.push(cache);
  return cache;
};

function countingLoader<T>(value: () => T, delayMs = 20) {
  const loader = async (): Promise<T> => {
    loader.calls++;
    await sleep(delayMs);
    return value();
  };
  loader.calls = 0;
  return loader;
}

describe.each(configurations)('cache behaviour: %s', (_name, setup) => {
  it('when a key is read twice, then the loader runs once and the second read is a hit', async () => {
    const cache = track(setup());
    const loader = countingLoader(() => ({ id: 1 }));
    const first = await cache.resolve('k1', loader);
    const second = await cache.resolve('k1', loader);
    expect(first.status).toBe('MISS');
    expect(['HIT-L1', 'HIT-L2']).toContain(second.status);
    expect(second.value).toEqual({ id: 1 });
    expect(loader.calls).toBe(1);
  });

  it('when 200 readers ask for a missing key at once, then the loader runs once', async () => {
    const cache = track(setup());
    const loader = countingLoader(() => 'v', 50);
    const values = await Promise.all(Array.from({ length: 200 }, () => cache.getOrSet('hot', loader)));
    expect(new Set(values)).toEqual(new Set(['v']));
    expect(loader.calls).toBe(1);
  });

  it('when the loader fails and nothing stale may stand in, then LoaderError with the cause, and nothing is cached', async () => {
    const cache = track(setup());
    const boom = new Error('db down');
    await expect(cache.getOrSet('failing', () => Promise.reject(boom))).rejects.toMatchObject({
      code: 'CACHE_LOADER_FAILED',
      cause: boom,
    });
    await expect(cache.getOrSet('failing', () => Promise.reject(boom))).rejects.toBeInstanceOf(LoaderError);
    expect(await cache.getOrSet('failing', async () => 'recovered')).toBe('recovered');
  });

  it('when an entry is stale within stale-while-revalidate, then the old value comes at once and one refresh runs', async () => {
    const cache = track(setup({ defaults: { jitter: 0 } }));
    let version = 1;
    const loader = countingLoader(() => version, 30);
    await cache.getOrSet('swr', loader, { ttl: 100, staleWhileRevalidate: 5_000 });
    await sleep(150);
    version = 2;
    const stale = await Promise.all(Array.from({ length: 20 }, () => cache.resolve('swr', loader, { ttl: 100, staleWhileRevalidate: 5_000 })));
    expect(stale.every((r) => r.status === 'STALE' && r.value === 1)).toBe(true);
    await sleep(80);
    expect(loader.calls).toBe(2);
    expect(await cache.getOrSet('swr', loader, { ttl: 100, staleWhileRevalidate: 5_000 })).toBe(2);
  });

  it('when the loader fails within stale-if-error, then the stale value is served; past it, the error surfaces', async () => {
    const cache = track(setup({ defaults: { jitter: 0 } }));
    await cache.getOrSet('sie', async () => 'old', { ttl: 50, staleIfError: 300 });
    await sleep(80);
    const failing = () => Promise.reject(new Error('db down'));
    const served = await cache.resolve('sie', failing, { ttl: 50, staleIfError: 300 });
    expect(served).toMatchObject({ value: 'old', status: 'STALE' });
    expect(cache.counters.snapshot().stale['loader-error']).toBe(1);
    await sleep(350);
    await expect(cache.getOrSet('sie', failing, { ttl: 50, staleIfError: 300 })).rejects.toBeInstanceOf(LoaderError);
  });

  it('when a tag is invalidated, then every key with it reloads and other keys stay', async () => {
    const cache = track(setup());
    const loader = countingLoader(() => 'x', 1);
    await cache.getOrSet('p42', loader, { tags: ['product:42'] });
    await cache.getOrSet('list', loader, { tags: ['product:42', 'products:list'] });
    await cache.getOrSet('p7', loader, { tags: ['product:7'] });
    await cache.invalidateTags(['product:42']);
    expect(await cache.get('p42')).toBeUndefined();
    expect(await cache.get('list')).toBeUndefined();
    expect(await cache.get('p7')).toBe('x');
    expect(cache.counters.snapshot().invalidations.tags).toBe(1);
  });

  it('when a key is invalidated, then only it reloads', async () => {
    const cache = track(setup());
    await cache.set('a', 1);
    await cache.set('b', 2);
    await cache.invalidateKeys(['a']);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe(2);
  });

  it('when a tag is invalidated while a load of an older value is running, then that value is not cached', async () => {
    const cache = track(setup());
    const slow = countingLoader(() => 'read-before-change', 80);
    const loading = cache.getOrSet('racy', slow, { tags: ['product:9'] });
    await sleep(20);
    await cache.invalidateTags(['product:9']);
    expect(await loading).toBe('read-before-change');
    expect(await cache.get('racy')).toBeUndefined();
  });

  it('when tags come from the loaded value, then invalidating them works', async () => {
    const cache = track(setup());
    await cache.getOrSet('by-sku:ABC', async () => ({ id: '77' }), { tags: (product) => [`product:${product.id}`] });
    await cache.invalidateTags(['product:77']);
    expect(await cache.get('by-sku:ABC')).toBeUndefined();
  });

  it('when a key or tag is empty or has whitespace, then InvalidKeyError', async () => {
    const cache = track(setup());
    await expect(cache.getOrSet('', async () => 1)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.getOrSet('a b', async () => 1)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.invalidateTags(['bad tag'])).rejects.toMatchObject({ code: 'CACHE_INVALID_KEY' });
  });
});

describe('layering', () => {
  it('when another worker already stored a key, then it is an L2 hit here, then an L1 hit', async () => {
    const prefix = `c-${randomUUID()}:`;
    const writer = track(createCache({ redis, prefix }));
    const reader = track(createCache({ redis, prefix }));
    await writer.set('shared', { v: 1 });
    const first = await reader.resolve('shared', async () => ({ v: 0 }));
    const second = await reader.resolve('shared', async () => ({ v: 0 }));
    expect([first.status, second.status]).toEqual(['HIT-L2', 'HIT-L1']);
    expect(second.value).toEqual({ v: 1 });
  });

  it('when L1 is bounded by entries, then old entries are evicted and counted', async () => {
    const cache = track(createCache({ l1: { maxEntries: 10 } }));
    for (let i = 0; i < 25; i++) await cache.set(`e${i}`, i);
    expect(cache.l1?.size).toBe(10);
    expect(cache.counters.snapshot().evictions.l1).toBe(15);
  });

  it('when L1 is bounded by bytes, then it never holds more than the bound', async () => {
    const cache = track(createCache({ l1: { maxBytes: 20_000 } }));
    for (let i = 0; i < 50; i++) await cache.set(`b${i}`, Buffer.alloc(1_000, i));
    expect(cache.l1!.bytes).toBeLessThanOrEqual(20_000);
    expect(cache.l1!.size).toBeLessThan(50);
  });
});

describe('a sick L2', () => {
  it('when every L2 operation fails, then reads still work from L1 and the loader, and errors are counted', async () => {
    const errors: string[] = [];
    const l2 = faultyLayer(createRedisLayer({ redis, prefix: `sick-${randomUUID()}:` }), { errorRate: 1, delayMs: 0 });
    const cache = track(createCache({ l2, onError: (_e, context) => errors.push(context) }));
    const loader = countingLoader(() => 'ok', 1);
    expect(await cache.getOrSet('k', loader)).toBe('ok');
    expect(await cache.resolve('k', loader)).toMatchObject({ status: 'HIT-L1', value: 'ok' });
    await cache.invalidateTags(['t']);
    expect(loader.calls).toBe(1);
    expect(cache.counters.snapshot().l2Errors).toBeGreaterThanOrEqual(2);
    // After the first failure the breaker skips L2 writes instead of paying for another error.
    expect(errors).toEqual(expect.arrayContaining(['l2 get', 'invalidate']));
    expect(errors).not.toContain('l2 set');
  });

  it('when L2 is slow, then a miss costs the delay but L1 hits do not', async () => {
    const l2 = faultyLayer(createRedisLayer({ redis, prefix: `slow-${randomUUID()}:` }), { errorRate: 0, delayMs: 60 });
    const cache = track(createCache({ l2 }));
    await cache.getOrSet('k', async () => 1);
    const started = performance.now();
    for (let i = 0; i < 100; i++) await cache.getOrSet('k', async () => 1);
    expect(performance.now() - started).toBeLessThan(60);
  });

  it('when L2 fails half the time, then every read still answers with the right value', async () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const l2 = faultyLayer(createRedisLayer({ redis, prefix: `flaky-${randomUUID()}:` }), { errorRate: 0.5, delayMs: 1 }, random);
    const cache = track(createCache({ l2, l1: { maxEntries: 3 } }));
    for (let i = 0; i < 60; i++) {
      const key = `k${i % 6}`;
      expect(await cache.getOrSet(key, async () => key.toUpperCase())).toBe(key.toUpperCase());
    }
  });
});

describe('circuit breaker', () => {
  it('when a call fails, then calls are skipped for the cool-down, then exactly one probes', () => {
    let clock = 0;
    const breaker = createBreaker(1, 1_000, () => clock);
    expect(breaker.allows()).toBe(true);
    breaker.failure();
    expect(breaker.allows()).toBe(false);
    clock = 1_000;
    expect(breaker.allows()).toBe(true);
    expect(breaker.allows()).toBe(false);
    breaker.failure();
    clock = 1_500;
    expect(breaker.allows()).toBe(false);
    clock = 2_000;
    expect(breaker.allows()).toBe(true);
    breaker.success();
    expect(breaker.allows()).toBe(true);
    expect(breaker.allows()).toBe(true);
  });

  it('when reset (Redis ready again), then it closes at once', () => {
    const breaker = createBreaker(1, 60_000, () => 0);
    breaker.failure();
    expect(breaker.allows()).toBe(false);
    breaker.reset();
    expect(breaker.allows()).toBe(true);
  });
});

describe('explicit writes', () => {
  it('when set() follows an invalidation of its tag in the same millisecond, then it is stored', async () => {
    const frozen = () => 1_000_000;
    const cache = track(createCache({ now: frozen, l1: { now: frozen } }));
    await cache.set('k', 'v1', { tags: ['t'] });
    await cache.invalidateTags(['t']);
    await cache.set('k', 'v2', { tags: ['t'] });
    expect(await cache.get('k')).toBe('v2');
  });

  it('when set() follows an invalidation on L2 in the same millisecond, then another worker reads it', async () => {
    const prefix = `c-${randomUUID()}:`;
    const writer = track(createCache({ redis, prefix }));
    const reader = track(createCache({ redis, prefix, l1: false }));
    for (let i = 0; i < 50; i++) {
      await writer.invalidateTags(['same-ms']);
      await writer.set(`w${i}`, i, { tags: ['same-ms'] });
      expect(await reader.get(`w${i}`)).toBe(i);
    }
  });
});

describe('answers that are not stored', () => {
  class NotFound extends Error {}
  const isAnswer = (error: unknown): boolean => error instanceof NotFound;

  it('when two workers miss a key whose loader answers "not found", then the one that lost the lock does not wait out the lock for a value that never comes', async () => {
    const prefix = `c-${randomUUID()}:`;
    const [a, b] = [track(createCache({ redis, prefix })), track(createCache({ redis, prefix }))];
    const loader = async (): Promise<never> => {
      await sleep(100);
      throw new NotFound('no such product');
    };
    const timed = async (cache: Cache): Promise<number> => {
      const started = performance.now();
      await expect(cache.resolve('gone', loader, { isAnswer })).rejects.toBeInstanceOf(LoaderError);
      return performance.now() - started;
    };
    const [first, second] = await Promise.all([timed(a), timed(b)]);
    // Lock wait is 2 000 ms: the loser must learn within a poll or two that the holder stored nothing.
    expect(Math.max(first, second)).toBeLessThan(1_000);
  });

  it('when a stale entry is refreshed and the loader answers "not found", then that answer is given, not the stale value, and the entry is gone in every worker', async () => {
    const prefix = `c-${randomUUID()}:`;
    const [a, b] = [track(createCache({ redis, prefix })), track(createCache({ redis, prefix }))];
    await a.set('deleted', 'old page', { ttl: 50, staleIfError: 60_000 });
    expect(await b.getOrSet('deleted', async () => 'unused')).toBe('old page'); // now in b's L1 too
    await sleep(80);
    await expect(a.resolve('deleted', () => Promise.reject(new NotFound('gone')), { isAnswer, staleIfError: 60_000 })).rejects.toBeInstanceOf(LoaderError);
    await sleep(50);
    expect(b.l1?.peek('deleted')).toBeUndefined();
    await expect(b.resolve('deleted', () => Promise.reject(new Error('database down')), { staleIfError: 60_000 })).rejects.toBeInstanceOf(LoaderError);
  });
});
