import type { Redis } from 'ioredis';
import { parseSeriesKey, serviceMetricsKeyPrefix, SLOW_QUERIES_KEPT } from './cluster-metrics.ts';
import { quantileFromBuckets } from './quantile.ts';
import { isApiRoute, sumSamples, type Sample } from './samples.ts';
import type { SlowQuery } from './service-metrics.ts';

export interface ServiceSummary {
  service: string;
  /** API requests answered since the totals began (health and metrics routes excluded). */
  requests: number;
  /** Share answered 5xx. */
  errorRate: number;
  /** Request latency percentiles, ms (null before any request). */
  latencyMs: { p50: number; p95: number; p99: number } | null;
  cache: { lookups: number; hitRate: number | null; fastHitRate: number | null; l1HitRate: number | null; l2HitRate: number | null };
  mongo: { commands: number; p95Ms: number | null };
}

export interface PerformanceSummary {
  generatedAt: string;
  services: ServiceSummary[];
  /** The slowest recent MongoDB commands of every service, newest first. */
  slowQueries: SlowQuery[];
  /** Web vitals from the storefront (p75, as Core Web Vitals are judged), by metric. */
  webVitals: Record<string, { samples: number; p75: number }>;
}

function bucketsOf(series: readonly Sample[], name: string, keep: (labels: Record<string, string>) => boolean): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const s of series) {
    if (s.name !== `${name}_bucket` || !keep(s.labels) || s.labels.le === undefined) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return buckets;
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
const ratio = (part: number, whole: number): number | null => (whole > 0 ? round(part / whole, 4) : null);

/**
 * The shop's performance at a glance, from the cluster-wide totals every worker pushes to Redis
 * (decision 0011): per service, request percentiles, error rate, cache hit rates by layer and
 * MongoDB p95; the recent slow commands; storefront web vitals (from `vitalsService`'s totals).
 */
export async function performanceSummary(redis: Redis, cachePrefix: string, services: readonly string[], vitalsService: string): Promise<PerformanceSummary> {
  const read = async (service: string): Promise<{ series: Sample[]; slow: SlowQuery[] }> => {
    const prefix = serviceMetricsKeyPrefix(cachePrefix, service);
    const [totals, slow] = await Promise.all([redis.hgetall(`${prefix}totals`), redis.lrange(`${prefix}slow`, 0, SLOW_QUERIES_KEPT - 1)]);
    const series: Sample[] = [];
    for (const [key, raw] of Object.entries(totals)) {
      const parsed = parseSeriesKey(key);
      if (parsed) series.push({ ...parsed, value: Number(raw) });
    }
    return { series, slow: slow.flatMap((entry) => (isSlowQuery(entry) ? [JSON.parse(entry) as SlowQuery] : [])) };
  };
  const data = await Promise.all(services.map(read));
  const summaries = services.map((service, i): ServiceSummary => {
    const series = data[i]?.series ?? [];
    const requests = sumSamples(series, 'http_requests_total', isApiRoute);
    const errors = sumSamples(series, 'http_requests_total', (l) => isApiRoute(l) && (l.status_code ?? '').startsWith('5'));
    const latency = bucketsOf(series, 'http_request_duration_seconds', isApiRoute);
    const l1 = sumSamples(series, 'cache_hits_total', (l) => l.layer === 'l1');
    const l2 = sumSamples(series, 'cache_hits_total', (l) => l.layer === 'l2');
    // Hits the fast lane answered before Express (decision 0018), from L1 entries too.
    const fast = sumSamples(series, 'cache_hits_total', (l) => l.layer === 'fast');
    const misses = sumSamples(series, 'cache_misses_total');
    const lookups = fast + l1 + l2 + misses;
    const mongo = bucketsOf(series, 'mongodb_command_duration_seconds', () => true);
    const mongoCount = [...mongo.values()].reduce((max, v) => Math.max(max, v), 0);
    const ms = (q: number, buckets: Map<number, number>): number => round(quantileFromBuckets(buckets, q) * 1000);
    return {
      service,
      requests,
      errorRate: ratio(errors, requests) ?? 0,
      latencyMs: requests > 0 ? { p50: ms(0.5, latency), p95: ms(0.95, latency), p99: ms(0.99, latency) } : null,
      cache: {
        lookups,
        hitRate: ratio(fast + l1 + l2, lookups),
        fastHitRate: ratio(fast, lookups),
        l1HitRate: ratio(l1, lookups),
        l2HitRate: ratio(l2, lookups),
      },
      mongo: { commands: mongoCount, p95Ms: mongoCount > 0 ? ms(0.95, mongo) : null },
    };
  });
  const vitalsSeries = data[services.indexOf(vitalsService)]?.series ?? [];
  const webVitals: PerformanceSummary['webVitals'] = {};
  for (const [metric, name, unit] of [
    ['LCP', 'web_vitals_lcp_seconds', 1000],
    ['INP', 'web_vitals_inp_seconds', 1000],
    ['CLS', 'web_vitals_cls', 1],
  ] as const) {
    const buckets = bucketsOf(vitalsSeries, name, () => true);
    const samples = [...buckets.values()].reduce((max, v) => Math.max(max, v), 0);
    if (samples > 0) webVitals[metric] = { samples, p75: round(quantileFromBuckets(buckets, 0.75) * unit, 3) };
  }
  return {
    generatedAt: new Date().toISOString(),
    services: summaries,
    slowQueries: data
      .flatMap((d) => d.slow)
      .sort((a, b) => b.at - a.at)
      .slice(0, SLOW_QUERIES_KEPT),
    webVitals,
  };
}

function isSlowQuery(entry: string): boolean {
  try {
    const value = JSON.parse(entry) as Partial<SlowQuery>;
    return typeof value.command === 'string' && typeof value.ms === 'number' && typeof value.at === 'number';
  } catch {
    return false;
  }
}
