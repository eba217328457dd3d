import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RELEASE_LOCK } from './layers/redis-scripts.ts';

export interface Locks {
  /** A token when this worker now holds the lock for `key`, null when another worker does. Throws if Redis fails. */
  acquire(key: string, ttlMs: number): Promise<string | null>;
  release(key: string, token: string): Promise<void>;
  /** True while some worker holds the lock for `key`. Throws if Redis fails. */
  held(key: string): Promise<boolean>;
}

/** Short Redis locks (SET NX PX) so one worker across the fleet loads a missing key. */
export function createRedisLocks(redis: Redis, prefix = 'cache:'): Locks {
  const client = redis as Redis & { shopCacheRelease(lock: string, token: string): Promise<number> };
  if (typeof (redis as unknown as Partial<typeof client>).shopCacheRelease !== 'function') client.defineCommand('shopCacheRelease', { numberOfKeys: 1, lua: RELEASE_LOCK });
  return {
    async acquire(key, ttlMs) {
      const token = randomUUID();
      const ok = await redis.set(`${prefix}lock:${key}`, token, 'PX', ttlMs, 'NX');
      return ok === 'OK' ? token : null;
    },
    async release(key, token) {
      await client.shopCacheRelease(`${prefix}lock:${key}`, token);
    },
    async held(key) {
      return (await redis.exists(`${prefix}lock:${key}`)) === 1;
    },
  };
}
