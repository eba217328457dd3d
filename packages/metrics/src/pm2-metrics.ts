import { constants, PerformanceObserver, type NodeGCPerformanceDetail, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { quantileFromBuckets } from './quantile.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/** What a worker shows in `pm2 monit` / `pm2 describe`: its own figures over the last window. */
export interface WorkerFigures {
  requestsPerSecond: number;
  p95Ms: number | null;
  cacheHitRate: number | null;
}

interface Totals {
  requests: number;
  buckets: Map<number, number>;
  hits: number;
  misses: number;
}

async function totalsOf(metrics: ServiceMetrics): Promise<Totals> {
  const [requests, duration, hits, misses] = await Promise.all([
    metrics.http.requests.get(),
    metrics.http.duration.get(),
    metrics.registry.getSingleMetric('cache_hits_total')?.get(),
    metrics.registry.getSingleMetric('cache_misses_total')?.get(),
  ]);
  const buckets = new Map<number, number>();
  for (const value of duration.values) {
    if (value.metricName !== 'http_request_duration_seconds_bucket') continue;
    const raw = (value.labels as Record<string, string | number | undefined>).le;
    const le = raw === '+Inf' ? Infinity : Number(raw);
    buckets.set(le, (buckets.get(le) ?? 0) + value.value);
  }
  const sum = (values: { value: number }[] | undefined): number => (values ?? []).reduce((total, v) => total + v.value, 0);
  return { requests: sum(requests.values), buckets, hits: sum(hits?.values), misses: sum(misses?.values) };
}

/** The figures between two readings of the worker's cumulative totals. */
export function figuresBetween(before: Totals, after: Totals, seconds: number): WorkerFigures {
  const window = new Map([...after.buckets].map(([le, count]) => [le, count - (before.buckets.get(le) ?? 0)]));
  const requests = after.requests - before.requests;
  const lookups = after.hits - before.hits + (after.misses - before.misses);
  const p95 = quantileFromBuckets(window, 0.95);
  return {
    requestsPerSecond: Math.round((requests / seconds) * 10) / 10,
    p95Ms: Number.isNaN(p95) ? null : Math.round(p95 * 10_000) / 10,
    cacheHitRate: lookups > 0 ? Math.round(((after.hits - before.hits) / lookups) * 1_000) / 10 : null,
  };
}

/**
 * V8's old generation in use (MiB), read when a major GC has just finished: what survived
 * collection. The young generation is left out (it is refilled between the GC and this reading).
 * A leak makes this climb; V8 growing or returning heap does not.
 */
export function oldGenerationInUseMb(): number {
  const bytes = v8
    .getHeapSpaceStatistics()
    .filter((space) => space.space_name !== 'new_space' && space.space_name !== 'new_large_object_space')
    .reduce((sum, space) => sum + space.space_used_size, 0);
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/**
 * Custom metrics for `pm2 monit` through @pm2/io, per worker: req/s, p95 and cache hit rate over
 * the last `windowMs`, and the heap left after the last major GC (`oldGenerationInUseMb`, set by a
 * `gc` PerformanceObserver; read once at start too). Only under PM2 (a `pm_id` in the environment
 * and an IPC channel): @pm2/io starts itself with its defaults when first imported, so it is
 * imported only there and re-started at once with exception catching, the CPU/heap profiling
 * features and the automatic metrics off.
 * It still opens an inspector session of its own (idle: nothing samples), and it only carries
 * these numbers to the PM2 daemon; the service's own crash handling stays in charge.
 */
export async function reportToPm2(metrics: ServiceMetrics, windowMs = 5_000): Promise<{ stop(): void }> {
  if (process.env.pm_id === undefined || typeof process.send !== 'function') return { stop() {} };
  const { default: io } = await import('@pm2/io');
  io.init({ catchExceptions: false, profiling: false, metrics: { v8: false, runtime: false, http: false, network: false, eventLoop: false } });
  const rps = io.metric({ name: 'req/s', unit: 'req/s' });
  const p95 = io.metric({ name: 'p95', unit: 'ms' });
  const hitRate = io.metric({ name: 'cache hit', unit: '%' });
  const heapAfterGc = io.metric({ name: 'heap after GC', unit: 'MiB' });
  const gcObserver = new PerformanceObserver((list) => {
    const major = list.getEntries().some((entry) => (entry as PerformanceEntry & { detail?: NodeGCPerformanceDetail }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) heapAfterGc.set(oldGenerationInUseMb());
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  // Start-up's major GCs ran before the observer existed: until the next one, show the old
  // generation as it is now (garbage not yet collected included), so a quiet worker has a reading.
  heapAfterGc.set(oldGenerationInUseMb());
  let previous: { at: number; totals: Totals } | undefined;
  const timer = setInterval(() => {
    totalsOf(metrics)
      .then((totals) => {
        const now = performance.now();
        if (previous) {
          const figures = figuresBetween(previous.totals, totals, (now - previous.at) / 1000);
          rps.set(figures.requestsPerSecond);
          p95.set(figures.p95Ms ?? 0);
          hitRate.set(figures.cacheHitRate ?? 0);
        }
        previous = { at: now, totals };
      })
      // A failed reading skips one refresh; it must not become an unhandled rejection (that stops a worker).
      .catch(() => {});
  }, windowMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      gcObserver.disconnect();
      io.destroy();
    },
  };
}
