import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, createRedis, type Redis } from '@shop/service-kit';
import { redisPopularStore } from '../src/data-access/popular-store.ts';

let redis: Redis;
const key = `test-popular-${randomUUID().slice(0, 8)}:search:popular`;

beforeAll(async () => {
  if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: run through jest (global setup starts Redis)');
  redis = createRedis({ url: process.env.REDIS_URL, logger: createLogger('test', 'silent') });
  await redis.connect();
});

afterAll(async () => {
  await redis.del(key, `${key}:decay`);
  await redis.quit();
});

describe('the shared popular-search ranking', () => {
  it('when the ranking is full of old queries, then a query searched often now still climbs into the top', async () => {
    const store = redisPopularStore(redis, key, 100);
    await store.add(new Map(Array.from({ length: 100 }, (_, i) => [`/api/search?q=old${i}`, 20] as const)));
    for (let round = 0; round < 3; round++) await store.add(new Map([['/api/search?q=rising', 15]]));
    expect(await redis.zcard(key)).toBe(100);
    const top = await store.top(5);
    expect(top[0]).toBe('/api/search?q=rising');
  });

  it('when a minute has passed since the last decay, then every score is halved once, by one worker only', async () => {
    const store = redisPopularStore(redis, key, 100);
    const before = Number(await redis.zscore(key, '/api/search?q=rising'));
    await redis.del(`${key}:decay`);
    await store.add(new Map([['/api/search?q=rising', 1]]));
    await store.add(new Map([['/api/search?q=rising', 1]]));
    // The first add decays (marker absent) after adding 1; the second finds the marker and only adds.
    expect(Number(await redis.zscore(key, '/api/search?q=rising'))).toBe((before + 1) / 2 + 1);
  });
});
