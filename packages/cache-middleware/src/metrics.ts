/**
 * Hooks the cache calls as it works. The observability layer turns them into Prometheus metrics;
 * `createCounters()` keeps plain numbers (tests, /api/performance summaries).
 * Label values are bounded: layers are 'l1' | 'l2' (hits also 'fast'), reasons a fixed set.
 */
export type Layer = 'l1' | 'l2';
/** Where a hit was answered: a layer, or the fast lane (fresh L1 answers sent before Express; decision 0018). */
export type HitLayer = Layer | 'fast';
export type StaleReason = 'revalidating' | 'loader-error';
export type InvalidationKind = 'tags' | 'keys' | 'remote' | 'resync';
/** What a full Redis refused: an L2 entry write, or a stampede lock (decision 0015). */
export type RedisFullUse = 'l2' | 'lock';

export interface CacheMetrics {
  hit(layer: HitLayer): void;
  miss(): void;
  stale(reason: StaleReason): void;
  loaderDuration(ms: number, ok: boolean): void;
  eviction(layer: Layer): void;
  invalidation(kind: InvalidationKind): void;
  l2Error(): void;
  /**
   * Redis answered a write with an OOM error (at `maxmemory`, `noeviction`): it is up but full.
   * Not an L2 error: it opens no circuit, reads go on; the entry stays in L1 only, or the load
   * runs without the cross-worker lock. Optional, so existing sinks keep compiling.
   */
  redisFull?(use: RedisFullUse): void;
}

export interface CacheCounters extends CacheMetrics {
  snapshot(): {
    hits: Record<HitLayer, number>;
    misses: number;
    stale: Record<StaleReason, number>;
    loads: number;
    loadErrors: number;
    loadMsTotal: number;
    evictions: Record<Layer, number>;
    invalidations: Record<InvalidationKind, number>;
    l2Errors: number;
    redisFull: Record<RedisFullUse, number>;
  };
}

export function createCounters(): CacheCounters {
  const state = {
    hits: { l1: 0, l2: 0, fast: 0 },
    misses: 0,
    stale: { revalidating: 0, 'loader-error': 0 },
    loads: 0,
    loadErrors: 0,
    loadMsTotal: 0,
    evictions: { l1: 0, l2: 0 },
    invalidations: { tags: 0, keys: 0, remote: 0, resync: 0 },
    l2Errors: 0,
    redisFull: { l2: 0, lock: 0 },
  };
  return {
    hit: (layer) => void state.hits[layer]++,
    miss: () => void state.misses++,
    stale: (reason) => void state.stale[reason]++,
    loaderDuration: (ms, ok) => {
      state.loads++;
      state.loadMsTotal += ms;
      if (!ok) state.loadErrors++;
    },
    eviction: (layer) => void state.evictions[layer]++,
    invalidation: (kind) => void state.invalidations[kind]++,
    l2Error: () => void state.l2Errors++,
    redisFull: (use) => void state.redisFull[use]++,
    snapshot: () => structuredClone(state),
  };
}

/** Fans every hook out to several sinks. */
export function combineMetrics(...sinks: CacheMetrics[]): CacheMetrics {
  return {
    hit: (layer) => sinks.forEach((s) => s.hit(layer)),
    miss: () => sinks.forEach((s) => s.miss()),
    stale: (reason) => sinks.forEach((s) => s.stale(reason)),
    loaderDuration: (ms, ok) => sinks.forEach((s) => s.loaderDuration(ms, ok)),
    eviction: (layer) => sinks.forEach((s) => s.eviction(layer)),
    invalidation: (kind) => sinks.forEach((s) => s.invalidation(kind)),
    l2Error: () => sinks.forEach((s) => s.l2Error()),
    redisFull: (use) => sinks.forEach((s) => s.redisFull?.(use)),
  };
}
