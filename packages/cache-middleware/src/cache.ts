import { createBreaker, type Breaker } from './breaker.ts';
import { isFresh, makeEntry, type CacheEntry, type Lifetimes } from './entry.ts';
import { InvalidKeyError, isRedisOutOfMemory, LoaderError } from './errors.ts';
import { createInvalidationBus, type InvalidationBus, type InvalidationMessage } from './bus.ts';
import type { CacheLayer } from './layers/layer.ts';
import { createMemoryLayer, type MemoryLayer } from './layers/memory-layer.ts';
import { createRedisLayer } from './layers/redis-layer.ts';
import { createRedisLocks, type Locks } from './locks.ts';
import { combineMetrics, createCounters, type CacheCounters, type CacheMetrics, type HitLayer, type RedisFullUse } from './metrics.ts';
import type { CacheOptions, EntryOptions } from './options.ts';

export type CacheStatus = 'HIT-L1' | 'HIT-L2' | 'MISS' | 'STALE';

export interface Resolved<T> {
  value: T;
  status: CacheStatus;
  entry: CacheEntry<T>;
}

export interface Cache {
  /** L1, then L2 (promoted to L1), then `loader` — once per key per worker, once across workers while the lock holds. */
  getOrSet<T>(key: string, loader: () => Promise<T>, options?: EntryOptions<T>): Promise<T>;
  /** The same, telling where the value came from. */
  resolve<T>(key: string, loader: () => Promise<T>, options?: EntryOptions<T>): Promise<Resolved<T>>;
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, options?: EntryOptions<T>): Promise<void>;
  /** Drops every entry carrying one of `tags` from L2 and from the L1 of every worker. */
  invalidateTags(tags: readonly string[]): Promise<void>;
  invalidateKeys(keys: readonly string[]): Promise<void>;
  /** A fresh L1 entry, synchronously, without counting a hit. */
  peekFresh<T>(key: string): CacheEntry<T> | undefined;
  /** Counts a hit answered outside resolve(): an entry found with peekFresh and sent. */
  countHit(layer: HitLayer): void;
  readonly counters: CacheCounters;
  readonly l1: MemoryLayer | null;
  /** True while invalidations from other workers arrive (the Redis subscription is up). */
  readonly subscribed: boolean;
  close(): Promise<void>;
}

const KEY = /^[^\s]{1,512}$/;
const TAG = /^[^\s]{1,200}$/;
const MAX_PENDING = 1_000;

/** True when `key` can be stored (1–512 characters, no whitespace). */
export const isValidKey = (key: string): boolean => KEY.test(key);

function checkNames(kind: 'key' | 'tag', names: readonly string[]): void {
  const pattern = kind === 'key' ? KEY : TAG;
  for (const name of names) if (typeof name !== 'string' || !pattern.test(name)) throw new InvalidKeyError(kind, String(name));
}

/**
 * Builds the layered cache. Every Redis failure is caught, counted and reported to `onError`;
 * callers only ever see their loader's own errors (as LoaderError) or a value.
 */
export function createCache(options: CacheOptions = {}): Cache {
  const now = options.now ?? Date.now;
  const counters = createCounters();
  const metrics: CacheMetrics = options.metrics ? combineMetrics(counters, options.metrics) : counters;
  const report = (error: unknown, context: string): void => options.onError?.(error, context);
  const prefix = options.prefix ?? 'cache:';
  const defaults: Lifetimes = {
    ttl: options.defaults?.ttl ?? 60_000,
    staleWhileRevalidate: options.defaults?.staleWhileRevalidate ?? 0,
    staleIfError: options.defaults?.staleIfError ?? 0,
    jitter: options.defaults?.jitter ?? 0.1,
  };
  const lockTtl = options.lock?.ttlMs ?? 5_000;
  const lockWait = options.lock?.waitMs ?? 2_000;
  const lockPoll = options.lock?.pollMs ?? 15;

  const l1: MemoryLayer | null =
    options.l1 === false ? null : createMemoryLayer({ ...options.l1, now, onEvict: () => metrics.eviction('l1') });
  // Entries may live in a Redis of their own (l2Redis); locks and the bus always use `redis`.
  const l2Redis = options.l2Redis ?? options.redis;
  const separateL2 = l2Redis !== undefined && l2Redis !== options.redis;
  const l2: CacheLayer | null = options.l2 !== undefined ? options.l2 : l2Redis ? createRedisLayer({ redis: l2Redis, prefix, now }) : null;
  const locks: Locks | null = options.redis ? createRedisLocks(options.redis, prefix) : null;
  // A stalled Redis would cost every request a command timeout: after a failure, reads, writes
  // and locks skip L2 for 2 s, then one call probes; Redis reporting ready closes it at once.
  // (Invalidations always try, and queue on failure.) With a separate L2 Redis each client has
  // its own breaker: a dead lock Redis must not stop L2 reads, nor a dead L2 Redis the locks' one.
  const l2Breaker = createBreaker(1, 2_000, now);
  const lockBreaker = separateL2 ? createBreaker(1, 2_000, now) : l2Breaker;
  const redisFailed = (breaker: Breaker, error: unknown, context: string): void => {
    breaker.failure();
    metrics.l2Error();
    report(error, context);
  };
  const l2Failed = (error: unknown, context: string): void => redisFailed(l2Breaker, error, context);
  const lockFailed = (error: unknown, context: string): void => redisFailed(lockBreaker, error, context);
  /**
   * A write refused by a full Redis (maxmemory, noeviction; decision 0015). Redis answered, so the
   * breaker is not opened (that would skip L2 reads of what is stored): it is counted on its own.
   */
  const redisFull = (use: RedisFullUse, breaker: Breaker, error: unknown, context: string): void => {
    breaker.success();
    metrics.redisFull?.(use);
    report(error, `${context} (redis full)`);
  };

  // Invalidations that could not reach Redis are replayed when it answers again.
  let pending: InvalidationMessage[] = [];
  let pendingOverflow = false;

  const applyLocally = async (message: InvalidationMessage): Promise<void> => {
    if (message.tags?.length) await l1?.deleteTags(message.tags);
    if (message.keys?.length) await l1?.deleteKeys(message.keys);
  };

  const bus: InvalidationBus | null = options.redis
    ? createInvalidationBus({
        redis: options.redis,
        channel: `${prefix}invalidate`,
        onRemote: (message) => {
          metrics.invalidation('remote');
          void applyLocally(message)
            .then(() => options.onRemoteInvalidation?.(message))
            .catch((error: unknown) => report(error, 'remote invalidation'));
        },
        onResync: () => {
          metrics.invalidation('resync');
          void l1?.clear();
        },
        onSubscribed: () => options.onSubscribed?.(),
        onError: (error) => report(error, 'pubsub'),
      })
    : null;

  /**
   * L2 first, then the message: a worker dropping its L1 on the message must not read the old
   * entry back from L2. The message goes out even when the L2 delete failed (with a separate L2
   * Redis, one may be down while the other is up), and the whole is replayed later.
   */
  const pushToRedis = async (message: InvalidationMessage): Promise<void> => {
    let l2Error: unknown;
    try {
      if (message.tags?.length) await l2?.deleteTags(message.tags);
      if (message.keys?.length) await l2?.deleteKeys(message.keys);
    } catch (error) {
      l2Error = error ?? new Error('L2 delete failed');
    }
    await bus?.publish(message);
    if (l2Error !== undefined) throw l2Error;
  };

  const replayPending = async (): Promise<void> => {
    if (!pendingOverflow && pending.length === 0) return;
    const batch = pending;
    const overflow = pendingOverflow;
    pending = [];
    pendingOverflow = false;
    try {
      if (overflow) await l2?.clear();
      for (const message of batch) await pushToRedis(message);
    } catch (error) {
      pending = [...batch, ...pending].slice(-MAX_PENDING);
      pendingOverflow ||= overflow;
      report(error, 'replay invalidations');
    }
  };
  // Either client reporting ready closes its breaker and replays what it may have missed.
  const readyHandler = (breaker: Breaker) => (): void => {
    breaker.reset();
    void replayPending();
  };
  const onRedisReady = readyHandler(lockBreaker);
  const onL2RedisReady = readyHandler(l2Breaker);
  options.redis?.on('ready', onRedisReady);
  if (separateL2) l2Redis.on('ready', onL2RedisReady);

  const purgers = options.purgers ?? [];
  const invalidate = async (message: InvalidationMessage): Promise<void> => {
    await applyLocally(message);
    if (l2 || bus) {
      try {
        await pushToRedis(message);
      } catch (error) {
        metrics.l2Error();
        report(error, 'invalidate');
        if (pending.length >= MAX_PENDING) pendingOverflow = true;
        else pending.push(message);
      }
    }
    // Last, so that an edge cache refilling at once is answered from what is already invalidated here.
    if (purgers.length > 0) await Promise.all(purgers.map((purger) => purger.purge(message)));
  };

  const l2Get = async (key: string): Promise<CacheEntry | undefined> => {
    if (!l2 || !l2Breaker.allows()) return undefined;
    try {
      const entry = await l2.get(key);
      l2Breaker.success();
      return entry;
    } catch (error) {
      l2Failed(error, 'l2 get');
      return undefined;
    }
  };

  /** Reads L2; a fresh entry is promoted to L1. Returns the entry as read, fresh or not. */
  const readL2 = async (key: string): Promise<CacheEntry | undefined> => {
    const entry = await l2Get(key);
    if (entry && isFresh(entry, now())) await l1?.set(key, entry, entry.createdAt);
    return entry;
  };

  const store = async (key: string, entry: CacheEntry, loadStartedAt: number): Promise<void> => {
    await l1?.set(key, entry, loadStartedAt);
    if (!l2 || !l2Breaker.allows()) return;
    try {
      await l2.set(key, entry, loadStartedAt);
      l2Breaker.success();
    } catch (error) {
      // Full: the entry stays in this worker's L1 until L2 entries expire and make room.
      if (isRedisOutOfMemory(error)) redisFull('l2', l2Breaker, error, 'l2 set');
      else l2Failed(error, 'l2 set');
    }
  };

  const lifetimes = (opts: EntryOptions<never> | undefined): Lifetimes => ({
    ttl: opts?.ttl ?? defaults.ttl,
    staleWhileRevalidate: opts?.staleWhileRevalidate ?? defaults.staleWhileRevalidate,
    staleIfError: opts?.staleIfError ?? defaults.staleIfError,
    jitter: defaults.jitter,
  });

  const tagsOf = <T>(value: T, opts: EntryOptions<T> | undefined): string[] => {
    const tags = typeof opts?.tags === 'function' ? opts.tags(value) : (opts?.tags ?? []);
    checkNames('tag', tags);
    return [...tags];
  };

  /**
   * Waits for the lock holder's value to land in L2. Gives up when the lock is gone with no value
   * (the holder's answer was not storable, a 404, or it died): no one waits out `lockWait` for nothing.
   */
  const waitForPeer = async (key: string, peerLocks: Locks): Promise<CacheEntry | undefined> => {
    const deadline = now() + lockWait;
    const fresh = async (): Promise<CacheEntry | undefined> => {
      const entry = await readL2(key);
      return entry && isFresh(entry, now()) ? entry : undefined;
    };
    while (now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, lockPoll));
      const entry = await fresh();
      if (entry) return entry;
      if (!lockBreaker.allows()) continue;
      // Released after our read: its value (if any) is in L2 by now. A failed check counts as held.
      const held = await peerLocks.held(key).then(
        (found) => {
          lockBreaker.success();
          return found;
        },
        (error: unknown) => {
          lockFailed(error, 'lock');
          return true;
        },
      );
      if (!held) return fresh();
    }
    return undefined;
  };

  const peekFresh = <T>(key: string): CacheEntry<T> | undefined => {
    const entry = l1?.peek(key);
    return entry && isFresh(entry, now()) ? (entry as CacheEntry<T>) : undefined;
  };

  const inflight = new Map<string, Promise<Resolved<unknown>>>();

  const load = <T>(
    key: string,
    loader: () => Promise<T>,
    opts: EntryOptions<T> | undefined,
    stale: CacheEntry<T> | undefined,
    background: boolean,
  ): Promise<Resolved<T>> => {
    const running = inflight.get(key) as Promise<Resolved<T>> | undefined;
    if (running) return running;
    const work = (async (): Promise<Resolved<T>> => {
      let token: string | null = null;
      let lockHeld = false;
      // Locks only help while L2 carries the winner's value to the others. (With one client the
      // breaker is shared; with two, the L2 one is only looked at: its probe belongs to an L2 call.)
      if (locks && l2 && (!separateL2 || l2Breaker.closed()) && lockBreaker.allows()) {
        try {
          token = await locks.acquire(key, lockTtl);
          lockBreaker.success();
          lockHeld = token !== null;
          if (!lockHeld) {
            if (background && stale) return { value: stale.value, status: 'STALE', entry: stale };
            const peer = await waitForPeer(key, locks);
            if (peer) {
              metrics.hit('l2');
              return { value: peer.value as T, status: 'HIT-L2', entry: peer as CacheEntry<T> };
            }
          }
        } catch (error) {
          // A full lock Redis: load without the cross-worker lock (single-flight in this worker holds).
          if (isRedisOutOfMemory(error)) redisFull('lock', lockBreaker, error, 'lock');
          else lockFailed(error, 'lock');
        }
      }
      const startedAt = now();
      try {
        let value: T;
        try {
          value = await loader();
          metrics.loaderDuration(now() - startedAt, true);
        } catch (error) {
          metrics.loaderDuration(now() - startedAt, false);
          if (opts?.isAnswer?.(error)) {
            // The origin has answered otherwise (the product is gone): its old value is no fallback.
            if (stale) await invalidate({ keys: [key] });
            throw new LoaderError(key, error);
          }
          // Within the bound when the refresh began: a loader that takes long to fail (a database
          // timing out) must not turn a read that arrived in time into an error.
          if (stale && startedAt < stale.sieUntil) {
            metrics.stale('loader-error');
            report(error, `loader for ${key} (served stale)`);
            return { value: stale.value, status: 'STALE', entry: stale };
          }
          throw new LoaderError(key, error);
        }
        const entry = makeEntry(value, tagsOf(value, opts), lifetimes(opts as EntryOptions<never>), now());
        await store(key, entry, startedAt);
        return { value, status: 'MISS', entry };
      } finally {
        if (lockHeld && token && locks) {
          locks.release(key, token).catch((error: unknown) => report(error, 'unlock'));
        }
      }
    })();
    inflight.set(key, work as Promise<Resolved<unknown>>);
    work.then(
      () => inflight.delete(key),
      () => inflight.delete(key),
    );
    return work;
  };

  const resolve = async <T>(key: string, loader: () => Promise<T>, opts?: EntryOptions<T>): Promise<Resolved<T>> => {
    checkNames('key', [key]);
    const first = l1?.peek(key) as CacheEntry<T> | undefined;
    if (first && isFresh(first, now())) {
      metrics.hit('l1');
      return { value: first.value, status: 'HIT-L1', entry: first };
    }
    const second = (await readL2(key)) as CacheEntry<T> | undefined;
    if (second && isFresh(second, now())) {
      metrics.hit('l2');
      return { value: second.value, status: 'HIT-L2', entry: second };
    }
    const stale = [first, second]
      .filter((e): e is CacheEntry<T> => e !== undefined)
      .sort((a, b) => b.freshUntil - a.freshUntil)[0];
    if (stale && now() < stale.swrUntil) {
      if (opts?.refresh === 'foreground' && !inflight.has(key)) {
        // This caller refreshes; if another worker already is (lock taken), it gets the stale value.
        const refreshed = await load(key, loader, opts, stale, true);
        if (refreshed.status === 'STALE') metrics.stale('revalidating');
        return refreshed;
      }
      metrics.stale('revalidating');
      if (opts?.refresh !== 'foreground') {
        load(key, loader, opts, stale, true).catch((error: unknown) => report(error, `refresh of ${key}`));
      }
      return { value: stale.value, status: 'STALE', entry: stale };
    }
    metrics.miss();
    return load(key, loader, opts, stale, false);
  };

  return {
    counters,
    l1,
    get subscribed() {
      return bus?.subscribed ?? false;
    },
    resolve,
    async getOrSet(key, loader, opts) {
      return (await resolve(key, loader, opts)).value;
    },
    async get<T>(key: string) {
      checkNames('key', [key]);
      const first = l1?.peek(key);
      if (first && isFresh(first, now())) return first.value as T;
      const second = await readL2(key);
      return second && isFresh(second, now()) ? (second.value as T) : undefined;
    },
    async set(key, value, opts) {
      checkNames('key', [key]);
      // An explicit write is the newest value by definition: no earlier invalidation refuses it.
      const entry = makeEntry(value, tagsOf(value, opts), lifetimes(opts as EntryOptions<never>), now());
      await store(key, entry, Number.MAX_SAFE_INTEGER);
    },
    async invalidateTags(tags) {
      checkNames('tag', tags);
      if (tags.length === 0) return;
      metrics.invalidation('tags');
      await invalidate({ tags: [...tags] });
    },
    async invalidateKeys(keys) {
      checkNames('key', keys);
      if (keys.length === 0) return;
      metrics.invalidation('keys');
      await invalidate({ keys: [...keys] });
    },
    peekFresh,
    countHit(layer) {
      metrics.hit(layer);
    },
    async close() {
      options.redis?.off('ready', onRedisReady);
      if (separateL2) l2Redis.off('ready', onL2RedisReady);
      await bus?.close();
      // What this worker recorded for an edge cache goes with it: nobody would purge it later.
      await Promise.all(purgers.map((purger) => purger.purgeRecorded?.()));
      await Promise.all(purgers.map((purger) => purger.close()));
    },
  };
}
