/**
 * A memory-capped Redis that never evicts (maxmemory + noeviction, decision 0015), started for
 * this file: when it is full the cache keeps answering (loader and L1), does not take the refusal
 * for an outage (no circuit opens, entries stored before are still read from L2), and
 * invalidations still delete. And the L2 in a Redis of its own (`l2Redis`): entries there, locks
 * and invalidation messages on `redis`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { freePort, startRedisServer, type StartedRedis } from '../../../scripts/lib/redis-server.ts';
import { createCache, createRedisLayer, makeEntry, type Cache, type CacheOptions } from '../src/index.ts';
import { sleep, testRedis } from './support/redis.ts';

/** One value is ~8 KB of JSON: a few of them fill the head room left under the cap. */
const payload = (id: number): { id: number; text: string } => ({ id, text: `${id}:`.padEnd(8_000, 'x') });
const LIFE = { ttl: 60_000, staleWhileRevalidate: 0, staleIfError: 0, jitter: 0 };

const usedMemory = async (client: Redis): Promise<number> => Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1]);

/**
 * Fills Redis up: this much room above what it uses now, then 8 KB values until one is refused.
 * Redis counts a command's own arguments as used while it judges it, so at that point it may still
 * take a few small writes; the cap then goes just under what is used, and every write is refused.
 */
async function fillUp(client: Redis, headroomBytes = 64 * 1024): Promise<void> {
  await client.config('SET', 'maxmemory-policy', 'noeviction');
  await client.config('SET', 'maxmemory', String((await usedMemory(client)) + headroomBytes));
  for (let i = 0; i < 10_000; i++) {
    try {
      await client.set(`filler:${i}`, 'f'.repeat(8_000));
    } catch (error) {
      expect(String(error)).toMatch(/^ReplyError: OOM command not allowed/);
      await client.config('SET', 'maxmemory', String(Math.floor((await usedMemory(client)) * 0.9)));
      await expect(client.set('filler:small', '1')).rejects.toThrow(/^OOM command not allowed/);
      return;
    }
  }
  throw new Error('Redis never refused a write: is maxmemory set?');
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** A loader that counts its calls. */
function counting<T>(value: () => T): (() => Promise<T>) & { calls: number } {
  const loader = async (): Promise<T> => {
    loader.calls++;
    return value();
  };
  loader.calls = 0;
  return loader;
}

let capped: StartedRedis;
let entriesServer: StartedRedis;
/** On `capped`: the Redis that fills up. */
let full: Redis;
/** On the test run's Redis: the state instance (locks, pub/sub) when L2 entries live elsewhere. */
let state: Redis;
/** On `entriesServer`: the L2 entries' own Redis. */
let entries: Redis;
const caches: Cache[] = [];

const track = (options: CacheOptions): Cache => {
  const cache = createCache(options);
  caches.push(cache);
  return cache;
};

beforeAll(async () => {
  capped = await startRedisServer(await freePort());
  entriesServer = await startRedisServer(await freePort());
  full = await testRedis(capped.url);
  state = await testRedis();
  entries = await testRedis(entriesServer.url);
  for (const client of [full, entries]) client.on('error', () => {});
});

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  for (const client of [full, entries]) {
    if (client.status !== 'ready') continue;
    await client.config('SET', 'maxmemory', '0');
    await client.flushall();
  }
});

afterAll(async () => {
  await Promise.all([full, state, entries].map((client) => client.quit().catch(() => client.disconnect())));
  await Promise.all([capped?.stop(), entriesServer?.stop()]);
});

describe('a full L2 Redis (maxmemory, noeviction)', () => {
  it('when L2 is full, then getOrSet answers from the loader and then L1, the refusal is counted apart from L2 errors, and the circuit stays closed: entries stored before are still read from L2', async () => {
    const prefix = `full-${randomUUID()}:`;
    const writer = track({ redis: full, prefix, l1: false });
    const reader = track({ redis: full, prefix });
    await writer.set('before', payload(0), { ttl: 60_000 });
    await fillUp(full);

    const loader = counting(() => payload(1));
    const first = await reader.resolve('new', loader, { ttl: 60_000 });
    expect({ status: first.status, value: first.value }).toEqual({ status: 'MISS', value: payload(1) });
    const second = await reader.resolve('new', loader, { ttl: 60_000 });
    expect({ status: second.status, calls: loader.calls }).toEqual({ status: 'HIT-L1', calls: 1 });
    // Refused, not half-written: neither the entry nor anything else of it is in L2.
    expect(await full.exists(`${prefix}e:new`)).toBe(0);

    // Not in this worker's L1: it can only come from L2, so the L2 reads are still being made.
    const stored = await reader.resolve('before', () => Promise.reject(new Error('must come from L2')), { ttl: 60_000 });
    expect({ status: stored.status, value: stored.value }).toEqual({ status: 'HIT-L2', value: payload(0) });

    const counts = reader.counters.snapshot();
    expect(counts.l2Errors).toBe(0);
    // The entry write, and the stampede lock (same Redis here), were both refused.
    expect(counts.redisFull).toEqual({ l2: 1, lock: 1 });
  });

  it('when L2 is full, then invalidateTags and invalidateKeys still delete the entries in L2, reach the other workers and remember the invalidation against late writes', async () => {
    const prefix = `full-inv-${randomUUID()}:`;
    const worker = track({ redis: full, prefix });
    const other = track({ redis: full, prefix });
    await until('both subscribed', () => worker.subscribed && other.subscribed);
    await worker.set('p1', payload(1), { tags: ['product:1'] });
    await worker.set('p2', payload(2), { tags: ['product:2'] });
    await worker.set('k3', payload(3));
    for (const key of ['p1', 'p2', 'k3']) expect(await other.get(key)).toEqual(expect.objectContaining({ id: expect.any(Number) }));
    const loadStartedAt = Date.now();
    await sleep(2);
    await fillUp(full);

    // A tag with no entries first: nothing to delete for it, only a mark to write.
    await worker.invalidateTags(['never-tagged', 'product:1']);
    await worker.invalidateKeys(['k3']);

    expect(await full.exists(`${prefix}e:p1`)).toBe(0);
    expect(await full.exists(`${prefix}e:k3`)).toBe(0);
    expect(await full.exists(`${prefix}e:p2`)).toBe(1);
    await until('the other worker dropped p1 and k3', () => !other.peekFresh('p1') && !other.peekFresh('k3'));
    expect(other.peekFresh('p2')?.value).toEqual(payload(2));
    expect(worker.counters.snapshot().l2Errors).toBe(0);

    // Memory frees up (entries expire): a load that began before the invalidation may not store
    // its old value now.
    await full.config('SET', 'maxmemory', '0');
    const layer = createRedisLayer({ redis: full, prefix });
    expect(await layer.set('p1', makeEntry(payload(1), ['product:1'], LIFE, Date.now()), loadStartedAt)).toBe(false);
    expect(await layer.set('k3', makeEntry(payload(3), [], LIFE, Date.now()), loadStartedAt)).toBe(false);
    expect(await layer.set('p2', makeEntry(payload(2), ['product:2'], LIFE, Date.now()), loadStartedAt)).toBe(true);
  });
});

describe('L2 entries in a Redis of their own (l2Redis)', () => {
  it('when l2Redis is a separate client, then entries, tag sets and marks are written there, while the stampede lock and the invalidation message go through redis', async () => {
    const prefix = `split-${randomUUID()}:`;
    const cache = track({ redis: state, l2Redis: entries, prefix });
    const watcher = state.duplicate();
    await watcher.connect();
    const messages: unknown[] = [];
    watcher.on('message', (_channel: string, text: string) => messages.push(JSON.parse(text)));
    await watcher.subscribe(`${prefix}invalidate`);
    try {
      const lockSeen: Record<string, number> = {};
      await cache.getOrSet(
        'p1',
        async () => {
          lockSeen.state = await state.exists(`${prefix}lock:p1`);
          lockSeen.entries = await entries.exists(`${prefix}lock:p1`);
          return payload(1);
        },
        { tags: ['product:1'] },
      );
      expect(lockSeen).toEqual({ state: 1, entries: 0 });
      expect(await entries.exists(`${prefix}e:p1`, `${prefix}t:product:1`)).toBe(2);
      await until('lock released', async () => (await state.exists(`${prefix}lock:p1`)) === 0);
      expect(await state.keys(`${prefix}*`)).toEqual([]);

      await cache.invalidateTags(['product:1']);
      expect(await entries.exists(`${prefix}e:p1`, `${prefix}t:product:1`)).toBe(0);
      expect(await entries.exists(`${prefix}ti:product:1`)).toBe(1);
      expect(await state.keys(`${prefix}*`)).toEqual([]);
      await until('invalidation published on redis', () => messages.length > 0);
      expect(messages).toEqual([expect.objectContaining({ tags: ['product:1'] })]);
    } finally {
      await watcher.quit();
    }
  });

  it('when the lock Redis is full, then the load runs without the cross-worker lock and its value still lands in the separate L2, with no error counted', async () => {
    const prefix = `split-full-${randomUUID()}:`;
    const cache = track({ redis: full, l2Redis: entries, prefix });
    await fillUp(full);
    const loader = counting(() => payload(7));
    expect((await cache.resolve('p7', loader)).status).toBe('MISS');
    expect(await entries.exists(`${prefix}e:p7`)).toBe(1);
    const counts = cache.counters.snapshot();
    expect({ l2Errors: counts.l2Errors, redisFull: counts.redisFull }).toEqual({ l2Errors: 0, redisFull: { l2: 0, lock: 1 } });
  });

  it('when the separate L2 Redis goes away and comes back, then its failures open the L2 circuit, an invalidation still reaches the other workers through redis, and its own ready closes the circuit at once and replays the invalidation into L2', async () => {
    const prefix = `split-ready-${randomUUID()}:`;
    // A clock that stands still: the circuit can only close through `ready`, never by cooling down.
    const frozen = Date.now();
    const worker = track({ redis: state, l2Redis: entries, prefix, now: () => frozen });
    const other = track({ redis: state, l2Redis: entries, prefix, now: () => frozen });
    await until('both subscribed', () => worker.subscribed && other.subscribed);
    await worker.set('p1', payload(1), { tags: ['product:1'] });
    expect(await entries.exists(`${prefix}e:p1`)).toBe(1);
    expect(await other.get('p1')).toEqual(payload(1));

    await entriesServer.stop();
    await until('L2 client disconnected', () => entries.status !== 'ready');
    const loader = counting(() => payload(8));
    expect((await worker.resolve('p8', loader)).status).toBe('MISS');
    const errors = worker.counters.snapshot().l2Errors;
    expect(errors).toBeGreaterThan(0);
    await worker.set('while-open', payload(9));
    // Open: the write was skipped, not tried (no further error).
    expect(worker.counters.snapshot().l2Errors).toBe(errors);

    // The L2 delete fails; the message to the other workers goes out all the same.
    await worker.invalidateTags(['product:1']);
    await until('the other worker dropped p1', () => !other.peekFresh('p1'));

    entriesServer = await startRedisServer(entriesServer.port);
    await until('L2 client ready again', () => entries.status === 'ready', 5_000);
    // Replayed into the L2 Redis (a fresh server here: only the mark shows it).
    await until('invalidation replayed into L2', async () => (await entries.exists(`${prefix}ti:product:1`)) === 1);
    await worker.set('after', payload(10));
    expect(await entries.exists(`${prefix}e:after`)).toBe(1);
  });
});
