import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { renderExposition, type MetricFamily } from './exposition.ts';

export interface ClusterMetricsOptions {
  registry: Registry;
  redis: Redis;
  /** Redis key prefix of the deployment and service, e.g. `cache:metrics:catalog:`. */
  keyPrefix: string;
  /** How often a worker pushes what changed. Default 1 000 ms: a scrape is at most this stale. */
  flushMs?: number;
  /** This worker's id among the service's workers. Default `<hostname>:<pid>`. */
  workerId?: string;
  /** Slow commands recorded since the last push (ServiceMetrics.drainSlowQueries); kept last 50 per service. */
  drainSlowQueries?: () => { service: string; command: string; ms: number; at: number }[];
  /** Reports a failed push (Redis down): the deltas stay and go with the next push. */
  onError?: (error: unknown, context: string) => void;
}

export interface ClusterMetrics {
  /** Pushes this worker's changes now (what a scrape and a graceful stop do first). */
  flush(): Promise<void>;
  /** The service's metrics summed over all its live workers; null when Redis cannot be read. */
  render(): Promise<string | null>;
  /** Final push, then no more timers. */
  stop(): Promise<void>;
}

/** Slow commands kept per service in Redis, newest first. */
export const SLOW_QUERIES_KEPT = 50;

type Aggregator = 'sum' | 'average' | 'max' | 'min' | 'first' | 'omit';
/** What `registry.getMetricsAsJSON()` returns, as far as this reads it. */
interface Json {
  name: string;
  help: string;
  type: string;
  aggregator?: Aggregator;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

const readRegistry = async (registry: Registry): Promise<Json[]> => (await registry.getMetricsAsJSON()) as unknown as Json[];

export const seriesKey = (name: string, labels: Record<string, string | number>): string =>
  JSON.stringify([name, Object.keys(labels).sort().map((k) => [k, String(labels[k])])]);

export function parseSeriesKey(key: string): { name: string; labels: Record<string, string> } | null {
  try {
    const [name, labels] = JSON.parse(key) as [string, [string, string][]];
    return { name, labels: Object.fromEntries(labels) };
  } catch {
    return null;
  }
}

/**
 * prom-client keeps one process's numbers; PM2 gives no cluster master to gather them. So every
 * worker pushes the *increments* of its counters and histograms since its last push into one
 * Redis hash per service (HINCRBYFLOAT), and its gauges into a hash of its own that expires when
 * it stops refreshing it. A scrape, on any worker, renders the hash (plus the gauges of the
 * workers seen recently, combined as each gauge declares: sum, average, max…). A worker that
 * is reloaded pushed its last increments while stopping; its successor starts from zero and adds
 * to the same totals, so no counter ever goes backwards (decision 0011).
 */
export function clusterMetrics(options: ClusterMetricsOptions): ClusterMetrics {
  const { registry, redis } = options;
  const flushMs = options.flushMs ?? 1_000;
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
  const totalsKey = `${options.keyPrefix}totals`;
  const workersKey = `${options.keyPrefix}workers`;
  const sequenceKey = `${options.keyPrefix}seq`;
  const slowKey = `${options.keyPrefix}slow`;
  const gaugesKey = (id: string): string => `${options.keyPrefix}gauges:${id}`;
  const workerTtlMs = Math.max(5_000, flushMs * 5);
  /** Cumulative values as last pushed, by series. */
  const pushed = new Map<string, number>();
  /** Pushes are numbered (per worker, in Redis with the increments) so that none is applied twice. */
  const nonce = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  let sequence = 0;
  /** A push whose EXEC failed without an answer (timeout, dropped connection): it may have been applied. */
  let unsure: { tag: string; snapshot: Map<string, number> } | undefined;

  async function push(metrics: Json[], final: boolean): Promise<void> {
    if (unsure) {
      // Applied after all? The sequence it wrote says so; its increments must not go twice.
      if ((await redis.hget(sequenceKey, workerId)) === unsure.tag) for (const [key, value] of unsure.snapshot) pushed.set(key, value);
      unsure = undefined;
    }
    const deltas: [string, number][] = [];
    const current = new Map<string, number>();
    const gauges: string[] = [];
    for (const metric of metrics) {
      const cumulative = metric.type === 'counter' || metric.type === 'histogram';
      for (const value of metric.values) {
        const key = seriesKey(value.metricName ?? metric.name, value.labels);
        if (cumulative) {
          current.set(key, value.value);
          const delta = value.value - (pushed.get(key) ?? 0);
          // A new series is written even at 0: it exists from its first sample, as Prometheus expects.
          if (delta !== 0 || !pushed.has(key)) deltas.push([key, delta]);
        } else if (metric.type === 'gauge' && Number.isFinite(value.value)) {
          gauges.push(key, String(value.value));
        }
      }
    }
    const now = Date.now();
    const tag = `${nonce}:${++sequence}`;
    const multi = redis.multi();
    for (const [key, delta] of deltas) multi.hincrbyfloat(totalsKey, key, delta);
    multi.hset(sequenceKey, workerId, tag);
    if (final) {
      // A worker that stops is no longer one of the service's workers.
      multi.del(gaugesKey(workerId));
      multi.zrem(workersKey, workerId);
      multi.hdel(sequenceKey, workerId);
    } else {
      multi.del(gaugesKey(workerId));
      if (gauges.length > 0) multi.hset(gaugesKey(workerId), ...gauges);
      multi.pexpire(gaugesKey(workerId), workerTtlMs);
      multi.zadd(workersKey, now, workerId);
      multi.zremrangebyscore(workersKey, '-inf', now - workerTtlMs);
    }
    // Best effort: slow commands of a failed push are not sent again.
    const slow = options.drainSlowQueries?.() ?? [];
    if (slow.length > 0) {
      multi.lpush(slowKey, ...slow.map((entry) => JSON.stringify(entry)));
      multi.ltrim(slowKey, 0, SLOW_QUERIES_KEPT - 1);
    }
    let results: [Error | null, unknown][] | null;
    try {
      results = await multi.exec();
    } catch (error) {
      unsure = { tag, snapshot: current };
      throw error;
    }
    // EXEC ran (or was discarded, null): what it applied is known either way.
    if (!results) throw new Error('metrics push: transaction discarded');
    for (const [key, value] of current) pushed.set(key, value);
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** One push at a time; a caller arriving during one waits for it and then pushes again. */
  let queue: Promise<unknown> = Promise.resolve();
  function flush(metrics?: Json[], final = false): Promise<void> {
    const run = queue.then(async () => push(metrics ?? (await readRegistry(registry)), final));
    queue = run.catch(() => {});
    return run;
  }

  const timer = setInterval(() => {
    flush().catch((error: unknown) => options.onError?.(error, 'push'));
  }, flushMs);
  timer.unref();

  async function render(): Promise<string | null> {
    // Read once: some collectors (event-loop lag) reset on every read.
    const local = await readRegistry(registry);
    // This worker's newest increments; if they cannot go now, the totals are still a second fresh.
    await flush(local).catch((error: unknown) => options.onError?.(error, 'push'));
    try {
      const since = Date.now() - workerTtlMs;
      const [totals, workers] = await Promise.all([redis.hgetall(totalsKey), redis.zrangebyscore(workersKey, since, '+inf')]);
      const gaugeMaps = await Promise.all(workers.map((id) => redis.hgetall(gaugesKey(id))));
      return renderExposition([...families(local, totals, gaugeMaps), workersFamily(Math.max(1, gaugeMaps.filter((g) => Object.keys(g).length > 0).length), local)]);
    } catch (error) {
      // Without the totals there is no honest answer: one worker's numbers under the same names
      // would look like a counter reset, then a jump. The scrape fails and Prometheus shows a gap.
      options.onError?.(error, 'scrape');
      return null;
    }
  }

  return {
    flush: () => flush(),
    render,
    async stop() {
      clearInterval(timer);
      await flush(undefined, true).catch((error: unknown) => options.onError?.(error, 'final push'));
    },
  };
}

/** Where a service's shared metrics live in Redis; the performance summary reads the same keys. */
// Not under CACHE_PREFIX itself: the cache clears `<CACHE_PREFIX>*` after a long Redis outage.
export const serviceMetricsKeyPrefix = (cachePrefix: string, service: string): string => `metrics:${cachePrefix}${service}:`;

/**
 * The cluster metrics of one service worker: its registry and slow commands, pushed under the
 * deployment's key prefix (CACHE_PREFIX), failures reported to `onError`.
 */
export function serviceClusterMetrics(
  metrics: { service: string; registry: Registry; drainSlowQueries(): { service: string; command: string; ms: number; at: number }[] },
  options: { redis: Redis; cachePrefix: string; onError?: ClusterMetricsOptions['onError'] },
): ClusterMetrics {
  return clusterMetrics({
    registry: metrics.registry,
    redis: options.redis,
    keyPrefix: serviceMetricsKeyPrefix(options.cachePrefix, metrics.service),
    drainSlowQueries: () => metrics.drainSlowQueries(),
    onError: options.onError,
  });
}

/** Families from the shared totals (cumulative types) and the live workers' gauges. */
function families(local: readonly Json[], totals: Record<string, string>, gaugeMaps: Record<string, string>[]): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  const sampleFamily = new Map<string, MetricFamily>();
  for (const metric of local) {
    const family: MetricFamily = { name: metric.name, help: metric.help, type: metric.type as MetricFamily['type'], samples: [] };
    byName.set(metric.name, family);
    const names = metric.type === 'histogram' ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`] : [metric.name];
    for (const name of names) sampleFamily.set(name, family);
  }
  for (const [key, raw] of Object.entries(totals)) {
    const series = parseSeriesKey(key);
    const family = series && sampleFamily.get(series.name);
    // Series of a metric this version no longer has are left out.
    if (!series || !family || (family.type !== 'counter' && family.type !== 'histogram')) continue;
    family.samples.push({ name: series.name, labels: series.labels, value: Number(raw) });
  }
  // Gauges: per series, the values of every live worker, combined as the gauge declares.
  const gaugeValues = new Map<string, number[]>();
  for (const map of gaugeMaps) {
    for (const [key, raw] of Object.entries(map)) {
      const values = gaugeValues.get(key) ?? [];
      values.push(Number(raw));
      gaugeValues.set(key, values);
    }
  }
  const aggregatorOf = new Map(local.map((m) => [m.name, m.aggregator ?? 'sum']));
  for (const [key, values] of gaugeValues) {
    const series = parseSeriesKey(key);
    const family = series && byName.get(series.name);
    if (!series || !family || family.type !== 'gauge') continue;
    const value = combine(aggregatorOf.get(series.name) ?? 'sum', values);
    if (value !== undefined) family.samples.push({ name: series.name, labels: series.labels, value });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

function combine(aggregator: Aggregator, values: number[]): number | undefined {
  switch (aggregator) {
    case 'omit':
      return undefined;
    case 'first':
      return values[0];
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      return values.reduce((a, b) => a + b, 0);
  }
}

/** `shop_metrics_workers`: how many workers the scrape covers. */
function workersFamily(workers: number, local: readonly Json[]): MetricFamily {
  const service = local.flatMap((m) => m.values).find((v) => v.labels.service !== undefined)?.labels.service;
  const labels: Record<string, string> = service === undefined ? {} : { service: String(service) };
  return {
    name: 'shop_metrics_workers',
    help: 'Workers whose numbers this scrape sums',
    type: 'gauge',
    samples: [{ name: 'shop_metrics_workers', labels, value: workers }],
  };
}
