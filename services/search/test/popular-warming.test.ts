import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectRedis, createLogger, createRedis, type Redis } from '@shop/service-kit';
import { redisPopularStore } from '../src/data-access/popular-store.ts';
import { createPopularQueries } from '../src/domain/popular-queries.ts';
import { createPopularSearches } from '../src/domain/popular-searches.ts';
import { SEARCH_RESULTS } from '../src/domain/cache-tags.ts';
import { seedDemo, startSearchForTest, testDatabase, type SearchUnderTest, type TestDatabase } from './helpers.ts';

/**
 * Popular searches: counted per worker, merged into one bounded Redis ranking, and kept warm in
 * the shared cache so that after an index change the popular ones are hits on their first request,
 * on every worker.
 */

let db: TestDatabase;
let first: SearchUnderTest;
let second: SearchUnderTest | undefined;
let redis: Redis;
let popularKey: string;
const scratchKeys: string[] = [];

/** Sent with its parameters out of order; popularity and the cache key by the sorted form. */
const POPULAR_REQUEST = '/api/search?sort=price&q=laptop&limit=5';
const POPULAR_URL = '/api/search?limit=5&q=laptop&sort=price';
const POPULAR_CACHE_KEY = `http:search:${POPULAR_URL}`;
const REQUESTS = 7;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  db = await testDatabase('test_search_popular');
  await seedDemo(db, 500);
  first = await startSearchForTest(db);
  popularKey = `${db.dbName}:search:popular`;
  redis = createRedis({ url: process.env.REDIS_URL!, logger: createLogger('popular-test', 'silent') });
  expect(await connectRedis(redis)).toBe(true);
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await first?.stop();
  if (redis) {
    await redis.del(popularKey, ...scratchKeys).catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
  }
  await db?.drop();
}, 30_000);

describe('popular searches across workers', () => {
  it('when a query is requested N times, then warmPopular() returns ≥ 1 and Redis ranks its normalized URL (params sorted) with a count ≥ N', async () => {
    for (let i = 0; i < REQUESTS; i++) await first.http().get(POPULAR_REQUEST).expect(200);
    // Refused requests are not popular.
    await first.http().get('/api/search?q=laptop&sort=evil').expect(400);

    const warmed = await first.server.warmPopular();
    expect(warmed).toBeGreaterThanOrEqual(1);
    expect(warmed).toBeLessThanOrEqual(first.server.config.SEARCH_WARM_QUERIES);

    expect(Number(await redis.zscore(popularKey, POPULAR_URL))).toBeGreaterThanOrEqual(REQUESTS);
    expect(await redis.zscore(popularKey, POPULAR_REQUEST)).toBeNull();
    expect(await redis.zscore(popularKey, '/api/search?q=laptop&sort=evil')).toBeNull();
    expect((await redis.zrevrange(popularKey, 0, 0))[0]).toBe(POPULAR_URL);
  });

  it('when the index changes (search:results invalidated) and warmPopular() runs, then the first request for the popular query is a cache hit', async () => {
    await first.server.cache.invalidateTags([SEARCH_RESULTS]);
    expect(first.server.cache.peekFresh(POPULAR_CACHE_KEY)).toBeUndefined();
    expect(await redis.exists(`${db.dbName}:e:${POPULAR_CACHE_KEY}`)).toBe(0);
    // Invalidation marks are millisecond timestamps and a load that starts in the same millisecond
    // is (conservatively) refused; the server itself warms 250 ms after an index change.
    await sleep(5);
    expect(await first.server.warmPopular()).toBeGreaterThanOrEqual(1);

    const res = await first.http().get(POPULAR_REQUEST).expect(200);
    expect(['HIT-L1', 'HIT-L2']).toContain(res.headers['x-cache']);
    expect(res.body).toMatchObject({ q: 'laptop', sort: 'price', limit: 5 });
    expect(res.body.total).toBeGreaterThan(0);
  });

  it('when a second worker starts on the same database, then its first request for a warmed query is a HIT-L2 it never computed', async () => {
    // Warmed afresh, so the shared L2 holds only what warming put there.
    await first.server.cache.invalidateTags([SEARCH_RESULTS]);
    await sleep(5);
    await first.server.warmPopular();
    const expected = (await first.http().get(POPULAR_REQUEST).expect(200)).body;

    second = await startSearchForTest(db);
    const res = await second.http().get(POPULAR_REQUEST).expect(200);
    expect(res.headers['x-cache']).toBe('HIT-L2');
    expect(res.body).toEqual(expected);
    // Now promoted to its L1, and answered by its fast lane.
    expect((await second.http().get(POPULAR_REQUEST).expect(200)).headers['x-cache']).toBe('HIT-FAST');
  });

  it('when more than 1 000 distinct queries are recorded over HTTP, then the Redis ranking stays at most 1 000 entries and the popular query survives', async () => {
    const distinct = 1_200;
    // Each worker counts at most 500 distinct searches between syncs: send them in rounds, syncing after each.
    for (let start = 0; start < distinct; start += 400) {
      const batch = Array.from({ length: Math.min(400, distinct - start) }, (_, i) => `/api/search?q=zqx${start + i}`);
      for (let i = 0; i < batch.length; i += 20) {
        await Promise.all(batch.slice(i, i + 20).map((url) => first.http().get(url).expect(200)));
      }
      await first.server.warmPopular();
    }
    const size = await redis.zcard(popularKey);
    console.log(`popular searches ranking after ${distinct} distinct queries: ${size} entries`);
    expect(size).toBeLessThanOrEqual(1_000);
    expect(size).toBeGreaterThanOrEqual(900);
    expect((await redis.zrevrange(popularKey, 0, 0))[0]).toBe(POPULAR_URL);
    expect(Number(await redis.zscore(popularKey, POPULAR_URL))).toBeGreaterThanOrEqual(REQUESTS);
    // Warming stays bounded by SEARCH_WARM_QUERIES however long the ranking is.
    expect(await first.server.warmPopular()).toBe(first.server.config.SEARCH_WARM_QUERIES);
  }, 60_000);

  it('when the domain tracker records more distinct queries than the store holds, then the store trims to its capacity, keeping the most counted', async () => {
    const key = `${db.dbName}:scratch:popular`;
    scratchKeys.push(key);
    const popular = createPopularSearches(createPopularQueries(5_000), redisPopularStore(redis, key, 1_000));
    for (let i = 0; i < 10; i++) popular.record('/api/search?q=hot');
    for (let i = 0; i < 1_500; i++) popular.record(`/api/search?q=cold${i}`);
    await popular.sync();
    expect(await redis.zcard(key)).toBe(1_000);
    expect(popular.urls()[0]).toBe('/api/search?q=hot');
    expect(popular.queries()[0]).toBe('hot');
    expect(popular.urls().length).toBe(100);
  });
});

describe('createPopularQueries (Space-Saving)', () => {
  it('when far more distinct keys than its capacity are recorded, then it holds exactly capacity keys and drains at most that many', () => {
    const tracker = createPopularQueries(50);
    for (let i = 0; i < 10_000; i++) tracker.record(`k${i}`);
    expect(tracker.size).toBe(50);
    expect(tracker.drain().size).toBeLessThanOrEqual(50);
    expect(tracker.top(1_000)).toHaveLength(50);
  });

  it('when a frequent key is followed by a long stream of one-off keys, then it survives at the top', () => {
    const tracker = createPopularQueries(20);
    for (let i = 0; i < 100; i++) tracker.record('hot');
    for (let i = 0; i < 1_000; i++) tracker.record(`once-${i}`);
    expect(tracker.size).toBe(20);
    expect(tracker.top(1)).toEqual(['hot']);
  });

  it('when a frequent key is interleaved with one-off keys (25 % of a stream, capacity 20), then it survives at the top', () => {
    const tracker = createPopularQueries(20);
    for (let i = 0; i < 4_000; i++) tracker.record(i % 4 === 0 ? 'hot' : `once-${i}`);
    expect(tracker.top(1)).toEqual(['hot']);
    expect(tracker.drain().get('hot')).toBeGreaterThanOrEqual(1_000);
  });

  it('when drained, then it returns the counts since the last drain and starts afresh, while the ranking keeps the totals', () => {
    const tracker = createPopularQueries(10);
    tracker.record('a');
    tracker.record('a');
    tracker.record('b');
    expect([...tracker.drain()]).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(tracker.drain().size).toBe(0);
    tracker.record('b');
    tracker.record('b');
    expect([...tracker.drain()]).toEqual([['b', 2]]);
    expect(tracker.top(10)).toEqual(['b', 'a']);
  });

  it('when a batch is recorded with its count (what the edge answered), then it weighs as that many single requests, in the ranking and in what is drained; a count below 1 is ignored', () => {
    const tracker = createPopularQueries(2);
    tracker.record('edge', 40);
    tracker.record('worker');
    tracker.record('worker');
    tracker.record('none', 0);
    tracker.record('nan', Number.NaN);
    expect(tracker.top(3)).toEqual(['edge', 'worker']);
    // Full: a newcomer takes the least counted one's place with that count plus its own.
    tracker.record('late', 5);
    expect([...tracker.drain()]).toEqual([
      ['edge', 40],
      ['late', 7],
    ]);
  });

  it('when counts tie, then top() orders the tied keys by name (a stable ranking)', () => {
    const tracker = createPopularQueries(10);
    for (const key of ['c', 'a', 'b']) tracker.record(key);
    expect(tracker.top(3)).toEqual(['a', 'b', 'c']);
  });
});
