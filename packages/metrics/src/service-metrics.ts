import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Request latency buckets, seconds: from an L1 hit (sub-millisecond) to a request deadline. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The hooks the cache package calls (structurally its CacheMetrics), as Prometheus metrics. */
export interface CacheMetricsSink {
  hit(layer: 'l1' | 'l2' | 'fast'): void;
  miss(): void;
  stale(reason: 'revalidating' | 'loader-error'): void;
  loaderDuration(ms: number, ok: boolean): void;
  eviction(layer: 'l1' | 'l2'): void;
  invalidation(kind: 'tags' | 'keys' | 'remote' | 'resync'): void;
  l2Error(): void;
  /** A write Redis refused for lack of memory (maxmemory, noeviction): not counted as an error. */
  redisFull(use: 'l2' | 'lock'): void;
}

/** A MongoDB command slower than the threshold, kept for the performance summary. */
export interface SlowQuery {
  service: string;
  command: string;
  ms: number;
  /** Epoch ms. */
  at: number;
}

/** Commands at least this slow are recorded (performance summary, "slow queries"). */
export const SLOW_QUERY_MS = 100;
/** At most this many wait in a worker between pushes; more in one second are dropped (and counted). */
const SLOW_QUERY_BUFFER = 20;

export interface ServiceMetrics {
  service: string;
  registry: Registry;
  http: {
    duration: Histogram<'method' | 'route' | 'status_code'>;
    requests: Counter<'method' | 'route' | 'status_code'>;
    inFlight: Gauge;
  };
  rateLimitRejections: Counter;
  /** Purge requests sent to nginx's edge cache, by outcome: purged, absent (nothing stored), failed. */
  edgePurges: Counter<'result'>;
  cache: CacheMetricsSink;
  mongo: {
    commandDuration: Histogram<'command' | 'result'>;
    connections: Gauge;
    checkedOut: Gauge;
    checkoutFailures: Counter;
  };
  /**
   * Reports an in-process cache layer's size as `cache_l1_bytes` and `cache_l1_entries` (read at
   * each collect; across workers the scrape shows the largest worker's).
   */
  watchL1(layer: { readonly bytes: number; readonly size: number } | null): void;
  /** Records a slow command (bounded buffer); `drainSlowQueries` takes what waits. */
  recordSlowQuery(command: string, ms: number): void;
  drainSlowQueries(): SlowQuery[];
}

/**
 * One registry per service process with every series labelled `service`: RED metrics, rate-limit
 * rejections, cache, MongoDB, and prom-client's process and event-loop metrics (`defaults: false`
 * leaves those out, for tests that create several registries in one process).
 */
export function createServiceMetrics(service: string, options: { defaults?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaults ?? true) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    // Gauges named like counters, which `promtool check metrics` rejects; handles and requests
    // say little that the event-loop lag and memory do not.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const registers = [registry];

  const cacheHits = new Counter({ name: 'cache_hits_total', help: 'Cache lookups answered by a layer', labelNames: ['layer'], registers });
  const cacheMisses = new Counter({ name: 'cache_misses_total', help: 'Cache lookups no layer could answer', registers });
  const cacheStale = new Counter({ name: 'cache_stale_served_total', help: 'Stale entries served, by reason', labelNames: ['reason'], registers });
  const cacheEvictions = new Counter({ name: 'cache_evictions_total', help: 'Entries evicted for size, by layer', labelNames: ['layer'], registers });
  const cacheInvalidations = new Counter({ name: 'cache_invalidations_total', help: 'Invalidations applied, by kind', labelNames: ['kind'], registers });
  const cacheL2Errors = new Counter({ name: 'cache_l2_errors_total', help: 'Redis (L2) operations that failed', registers });
  const cacheRedisFull = new Counter({
    name: 'cache_redis_full_total',
    help: 'Cache writes Redis refused because it is at maxmemory (noeviction): new entries (l2) or fill locks (lock)',
    labelNames: ['use'],
    registers,
  });
  const cacheLoads = new Histogram({
    name: 'cache_load_duration_seconds',
    help: 'Time to compute a missing entry (the loader), by result',
    labelNames: ['result'],
    buckets: LATENCY_BUCKETS,
    registers,
  });

  let l1: { readonly bytes: number; readonly size: number } | null = null;
  new Gauge({
    name: 'cache_l1_bytes',
    help: 'Estimated bytes held by the in-process (L1) cache; across workers, the largest',
    registers,
    aggregator: 'max',
    collect() {
      if (l1) this.set(l1.bytes);
    },
  });
  new Gauge({
    name: 'cache_l1_entries',
    help: 'Entries held by the in-process (L1) cache; across workers, the largest',
    registers,
    aggregator: 'max',
    collect() {
      if (l1) this.set(l1.size);
    },
  });

  let slow: SlowQuery[] = [];
  const slowDropped = new Counter({ name: 'mongodb_slow_queries_dropped_total', help: 'Slow commands not kept (more than the buffer holds between pushes)', registers });
  const slowSeen = new Counter({ name: 'mongodb_slow_queries_total', help: `MongoDB commands slower than ${SLOW_QUERY_MS} ms`, registers });

  return {
    service,
    registry,
    watchL1(layer) {
      l1 = layer;
    },
    recordSlowQuery(command, ms) {
      slowSeen.inc();
      if (slow.length >= SLOW_QUERY_BUFFER) {
        slowDropped.inc();
        return;
      }
      slow.push({ service, command, ms: Math.round(ms), at: Date.now() });
    },
    drainSlowQueries() {
      const drained = slow;
      slow = [];
      return drained;
    },
    http: {
      duration: new Histogram({
        name: 'http_request_duration_seconds',
        help: 'HTTP request duration from arrival to the last byte handed to the OS, by route template',
        labelNames: ['method', 'route', 'status_code'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
      requests: new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route template', labelNames: ['method', 'route', 'status_code'], registers }),
      inFlight: new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being answered', registers }),
    },
    rateLimitRejections: new Counter({ name: 'rate_limit_rejections_total', help: 'Requests refused with 429 by the shared rate limit', registers }),
    edgePurges: new Counter({ name: 'edge_purges_total', help: 'Purge requests sent to the edge cache, by outcome', labelNames: ['result'], registers }),
    cache: {
      hit: (layer) => cacheHits.inc({ layer }),
      miss: () => cacheMisses.inc(),
      stale: (reason) => cacheStale.inc({ reason }),
      loaderDuration: (ms, ok) => cacheLoads.observe({ result: ok ? 'ok' : 'error' }, ms / 1000),
      eviction: (layer) => cacheEvictions.inc({ layer }),
      invalidation: (kind) => cacheInvalidations.inc({ kind }),
      l2Error: () => cacheL2Errors.inc(),
      redisFull: (use) => cacheRedisFull.labels(use).inc(),
    },
    mongo: {
      commandDuration: new Histogram({
        name: 'mongodb_command_duration_seconds',
        help: 'MongoDB command round trips, by command and result',
        labelNames: ['command', 'result'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
      connections: new Gauge({ name: 'mongodb_pool_connections', help: 'Open connections in the MongoDB pool', registers }),
      checkedOut: new Gauge({ name: 'mongodb_pool_connections_checked_out', help: 'MongoDB pool connections in use', registers }),
      checkoutFailures: new Counter({ name: 'mongodb_pool_checkout_failures_total', help: 'Pool check-outs that failed (timeout, closed pool)', registers }),
    },
  };
}
