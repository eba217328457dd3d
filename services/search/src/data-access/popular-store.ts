import type { Redis } from '@shop/service-kit';
import type { PopularStore } from '../domain/ports.ts';

/**
 * The cluster-wide ranking of searches: a Redis sorted set every worker adds its counts to,
 * trimmed to `capacity` entries after each add so it never grows past it.
 */
export function redisPopularStore(redis: Redis, key: string, capacity = 1_000): PopularStore {
  return {
    async add(increments) {
      if (increments.size === 0) return;
      const pipeline = redis.multi();
      for (const [member, count] of increments) pipeline.zincrby(key, count, member);
      pipeline.zremrangebyrank(key, 0, -(capacity + 1));
      await pipeline.exec();
    },
    async top(n) {
      return redis.zrevrange(key, 0, n - 1);
    },
  };
}
