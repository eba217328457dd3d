import { LRUCache } from 'lru-cache';
import { storeUntil, type CacheEntry } from '../entry.ts';
import type { CacheLayer } from './layer.ts';

export interface MemoryLayerOptions {
  /** Most entries held. Default 10 000. */
  maxEntries?: number;
  /** Most bytes held (estimated per entry by `sizeOf`). Default 64 MiB. */
  maxBytes?: number;
  /** Byte estimate of one value. Default: Buffers by length, the rest by JSON length × 2. */
  sizeOf?: (value: unknown) => number;
  /** How long an invalidation is remembered to refuse late writes of older loads. Default 60 s. */
  invalidationMemoryMs?: number;
  onEvict?: () => void;
  now?: () => number;
}

export interface MemoryLayer extends CacheLayer {
  /** Synchronous read for the HTTP fast path. */
  peek(key: string): CacheEntry | undefined;
  readonly size: number;
  readonly bytes: number;
}

export function defaultSizeOf(value: unknown): number {
  if (Buffer.isBuffer(value)) return value.length;
  if (typeof value === 'object' && value !== null && 'bytes' in value && typeof value.bytes === 'number') return value.bytes;
  try {
    return (JSON.stringify(value)?.length ?? 8) * 2;
  } catch {
    return 1024;
  }
}

/** The in-process L1: an LRU bounded by entries and bytes, with a tag → keys index. */
export function createMemoryLayer(options: MemoryLayerOptions = {}): MemoryLayer {
  const now = options.now ?? Date.now;
  const sizeOf = options.sizeOf ?? defaultSizeOf;
  const memoryMs = options.invalidationMemoryMs ?? 60_000;
  const keysByTag = new Map<string, Set<string>>();
  const tagInvalidatedAt = new Map<string, number>();
  const keyInvalidatedAt = new Map<string, number>();

  const unindex = (key: string, entry: CacheEntry): void => {
    for (const tag of entry.tags) {
      const keys = keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) keysByTag.delete(tag);
    }
  };

  const lru = new LRUCache<string, CacheEntry>({
    max: options.maxEntries ?? 10_000,
    maxSize: options.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (entry) => Math.max(1, sizeOf(entry.value) + 64 * entry.tags.length + 128),
    ttlAutopurge: false,
    allowStale: false,
    dispose: (entry, key, reason) => {
      unindex(key, entry);
      if (reason === 'evict') options.onEvict?.();
    },
  });

  const remember = (map: Map<string, number>, name: string, at: number): void => {
    map.set(name, at);
    if (map.size > 50_000) {
      for (const [k, t] of map) if (at - t > memoryMs) map.delete(k);
    }
  };

  const invalidatedSince = (key: string, tags: readonly string[], since: number): boolean => {
    const cutoff = now() - memoryMs;
    const keyAt = keyInvalidatedAt.get(key);
    if (keyAt !== undefined && keyAt >= since && keyAt > cutoff) return true;
    return tags.some((tag) => {
      const at = tagInvalidatedAt.get(tag);
      return at !== undefined && at >= since && at > cutoff;
    });
  };

  const peek = (key: string): CacheEntry | undefined => lru.get(key);

  return {
    name: 'memory',
    peek,
    get size() {
      return lru.size;
    },
    get bytes() {
      return lru.calculatedSize;
    },
    async get(key) {
      return peek(key);
    },
    async set(key, entry, loadStartedAt) {
      if (invalidatedSince(key, entry.tags, loadStartedAt)) return false;
      const ttl = storeUntil(entry) - now();
      if (ttl <= 0) return true;
      lru.set(key, entry, { ttl });
      for (const tag of entry.tags) {
        let keys = keysByTag.get(tag);
        if (!keys) keysByTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
      return true;
    },
    async deleteKeys(keys) {
      const at = now();
      for (const key of keys) {
        remember(keyInvalidatedAt, key, at);
        lru.delete(key);
      }
    },
    async deleteTags(tags) {
      const at = now();
      for (const tag of tags) {
        remember(tagInvalidatedAt, tag, at);
        for (const key of [...(keysByTag.get(tag) ?? [])]) lru.delete(key);
        keysByTag.delete(tag);
      }
    },
    async clear() {
      lru.clear();
      keysByTag.clear();
    },
  };
}
