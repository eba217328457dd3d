import type { Redis } from 'ioredis';
import type { InvalidationMessage } from './bus.ts';
import type { Purger } from './edge-purger.ts';
import type { CacheLayer } from './layers/layer.ts';
import type { MemoryLayerOptions } from './layers/memory-layer.ts';
import type { CacheMetrics } from './metrics.ts';

/** Per-call lifetimes and tags; anything omitted takes the cache's defaults. */
export interface EntryOptions<T = unknown> {
  /** Fresh for this long, ms. Default 60 000. */
  ttl?: number;
  /** Then served stale while one background refresh runs, ms. Default 0 (off). */
  staleWhileRevalidate?: number;
  /** Then served stale while the loader keeps failing, ms. Default 0 (off). */
  staleIfError?: number;
  /** Tags to invalidate it by; a function receives the loaded value. */
  tags?: readonly string[] | ((value: T) => readonly string[]);
  /**
   * How a caller that finds a stale (revalidatable) entry refreshes it. 'background' (default):
   * it gets the stale value now and the refresh runs detached. 'foreground': the first such
   * caller runs the refresh and waits for it; callers arriving meanwhile get the stale value.
   * The HTTP middleware uses 'foreground' because its loader is bound to the request.
   */
  refresh?: 'background' | 'foreground';
  /**
   * True for a loader error that is the origin's answer rather than a failure (the HTTP cache: a
   * 404 after a delete, a handler's `no-store`). Stale-if-error never stands in for it, and a stale
   * entry for the key is dropped in every worker and in L2. Default: every error is a failure.
   */
  isAnswer?: (error: unknown) => boolean;
}

export interface CacheOptions {
  /**
   * Redis for the L2, cross-worker invalidation and stampede locks. Without it the cache is L1
   * only (one process). Use a client that fails fast (no offline queue, a command timeout).
   */
  redis?: Redis;
  /**
   * Redis for the L2 entries when it is not `redis` (docker-compose: a memory-capped instance of
   * their own, decision 0015). Entries, tag sets and invalidation marks go here; stampede locks
   * and invalidation messages stay on `redis`. Each client has its own circuit breaker, closed
   * again when that client reports `ready`. Default: `redis`.
   */
  l2Redis?: Redis;
  /** Namespace of every Redis key and the pub/sub channel. Default `cache:`. */
  prefix?: string;
  /** L1 bounds, or false for no L1. Defaults: 10 000 entries, 64 MiB. */
  l1?: MemoryLayerOptions | false;
  /** Replaces the Redis L2 (tests wrap it to inject faults); null for no L2. */
  l2?: CacheLayer | null;
  /** Defaults for entries. */
  defaults?: Omit<EntryOptions, 'tags'> & {
    /** ± fraction of ttl, so entries written together do not expire together. Default 0.1. */
    jitter?: number;
  };
  /** Cross-worker stampede lock. */
  lock?: {
    /** Lock lifetime: longer than a normal load. Default 5 000 ms. */
    ttlMs?: number;
    /** How long a worker that lost the lock waits for the winner's value in L2. Default 2 000 ms. */
    waitMs?: number;
    /** L2 poll interval while waiting. Default 15 ms. */
    pollMs?: number;
  };
  metrics?: CacheMetrics;
  /**
   * Sees every invalidation another worker or service published, after it was applied here
   * (a search index follows catalog writes this way, without a second subscription).
   */
  onRemoteInvalidation?: (message: InvalidationMessage) => void;
  /**
   * The subscription was established, the first time or again after a gap: invalidations
   * published before this moment may not have been seen here (after a gap L1 is already cleared).
   */
  onSubscribed?: () => void;
  /**
   * HTTP caches in front of the services (nginx's edge cache: createEdgePurger), told of every
   * invalidation made here once it is applied and published; an invalidation resolves when their
   * first purge is answered. Closed with the cache. Default none.
   */
  purgers?: readonly Purger[];
  /** Where Redis and background-refresh errors are reported (they never reach callers). */
  onError?: (error: unknown, context: string) => void;
  now?: () => number;
}
