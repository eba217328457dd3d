import type { Redis } from 'ioredis';
import { storeUntil } from '../entry.ts';
import type { CacheLayer } from './layer.ts';
import { DELETE_KEYS, DELETE_TAGS, SET_ENTRY } from './redis-scripts.ts';
import { deserializeEntry, serializeEntry } from './serialize.ts';

export interface RedisLayerOptions {
  redis: Redis;
  /** Namespace for every key. Default `cache:`. */
  prefix?: string;
  /** How long an invalidation is remembered to refuse late writes of older loads. Default 60 s. */
  invalidationMemoryMs?: number;
  now?: () => number;
}

type WithScripts = Redis & {
  shopCacheSet(numKeys: number, ...args: (string | number)[]): Promise<number>;
  shopCacheDeleteTags(numKeys: number, ...args: (string | number)[]): Promise<number>;
  shopCacheDeleteKeys(numKeys: number, ...args: (string | number)[]): Promise<number>;
  shopCacheDeleteTagsNoFlags(numKeys: number, ...args: (string | number)[]): Promise<number>;
  shopCacheDeleteKeysNoFlags(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

/** The script without its `#!lua flags=…` line, for a Redis before 7.0 (which cannot parse it). */
const withoutFlags = (lua: string): string => lua.replace(/^#!lua[^\n]*\n/, '');

const SCRIPTS = {
  shopCacheSet: SET_ENTRY,
  shopCacheDeleteTags: DELETE_TAGS,
  shopCacheDeleteKeys: DELETE_KEYS,
  shopCacheDeleteTagsNoFlags: withoutFlags(DELETE_TAGS),
  shopCacheDeleteKeysNoFlags: withoutFlags(DELETE_KEYS),
} as const;

/** Redis 6 compiling a script that starts with a shebang line: "… unexpected symbol near '#'". */
const isShebangRefused = (error: unknown): boolean => error instanceof Error && /Error compiling script[\s\S]*near '#'/.test(error.message);

/**
 * The shared L2. Layout under the prefix: `e:<key>` entry JSON (expires with the entry),
 * `t:<tag>` set of keys carrying the tag, `ti:<tag>` / `ki:<key>` when it was last invalidated.
 * Every key it writes expires. Its Redis must never evict (decision 0015): an evicted `t:<tag>`
 * would let an invalidation miss live entries, an evicted marker would let a late write in. In a
 * full Redis, `set` rejects with Redis' OOM error; the deletes still complete.
 */
export function createRedisLayer(options: RedisLayerOptions): CacheLayer {
  const prefix = options.prefix ?? 'cache:';
  const memoryMs = options.invalidationMemoryMs ?? 60_000;
  const now = options.now ?? Date.now;
  const redis = options.redis as WithScripts;
  for (const [name, lua] of Object.entries(SCRIPTS)) {
    if (typeof (options.redis as unknown as Record<string, unknown>)[name] !== 'function') redis.defineCommand(name, { lua });
  }
  const entryKey = (key: string): string => `${prefix}e:${key}`;
  // Redis 7 takes the delete scripts' allow-oom flag (they then work in a full Redis too); Redis 6
  // refuses the flag line, and gets the same scripts without it (deletes then fail while it is full).
  let flagsRefused = false;
  const runDelete = async (flagged: () => Promise<number>, plain: () => Promise<number>): Promise<void> => {
    if (flagsRefused) {
      await plain();
      return;
    }
    try {
      await flagged();
    } catch (error) {
      if (!isShebangRefused(error)) throw error;
      flagsRefused = true;
      await plain();
    }
  };

  return {
    name: 'redis',
    async get(key) {
      const text = await redis.get(entryKey(key));
      return text === null ? undefined : deserializeEntry(text);
    },
    async set(key, entry, loadStartedAt) {
      const pttl = storeUntil(entry) - now();
      if (pttl <= 0) return true;
      const tagSets = entry.tags.map((tag) => `${prefix}t:${tag}`);
      const tagMarks = entry.tags.map((tag) => `${prefix}ti:${tag}`);
      const keys = [entryKey(key), `${prefix}ki:${key}`, ...tagSets, ...tagMarks];
      const stored = await redis.shopCacheSet(
        keys.length,
        ...keys,
        serializeEntry(entry),
        pttl,
        loadStartedAt,
        entry.tags.length,
        key,
      );
      return stored === 1;
    },
    async deleteKeys(keys) {
      if (keys.length === 0) return;
      const names = [...keys.map(entryKey), ...keys.map((key) => `${prefix}ki:${key}`)];
      const at = now();
      await runDelete(
        () => redis.shopCacheDeleteKeys(names.length, ...names, at, memoryMs),
        () => redis.shopCacheDeleteKeysNoFlags(names.length, ...names, at, memoryMs),
      );
    },
    async deleteTags(tags) {
      if (tags.length === 0) return;
      const keys = [...tags.map((tag) => `${prefix}t:${tag}`), ...tags.map((tag) => `${prefix}ti:${tag}`)];
      const at = now();
      await runDelete(
        () => redis.shopCacheDeleteTags(keys.length, ...keys, at, memoryMs, `${prefix}e:`, tags.length),
        () => redis.shopCacheDeleteTagsNoFlags(keys.length, ...keys, at, memoryMs, `${prefix}e:`, tags.length),
      );
    },
    async clear() {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (found.length > 0) await redis.del(...found);
      } while (cursor !== '0');
    },
  };
}
