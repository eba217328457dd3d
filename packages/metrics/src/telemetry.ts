import type { Redis } from 'ioredis';
import { serviceClusterMetrics, type ClusterMetrics, type ClusterMetricsOptions } from './cluster-metrics.ts';
import { CONTENT_TYPE } from './exposition.ts';
import { httpMetrics, observeRequest } from './http-metrics.ts';
import { reportToPm2 } from './pm2-metrics.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/**
 * What a service app mounts (service-kit `metrics` option): the RED middleware, its twin for
 * requests the fast lane answers, and the cluster-wide scrape.
 */
export function metricsEndpoint(metrics: ServiceMetrics, cluster: ClusterMetrics) {
  return { http: httpMetrics(metrics), observe: observeRequest(metrics), scrape: () => cluster.render(), contentType: CONTENT_TYPE };
}

export interface ServiceTelemetry {
  /** The cluster-wide totals of this service (decision 0011). */
  cluster: ClusterMetrics;
  /** For createServiceApp's `metrics` option. */
  endpoint: ReturnType<typeof metricsEndpoint>;
  /** Final push of this worker's numbers, then no more timers; one of the service's releases. */
  stop(): Promise<void>;
}

/**
 * Everything a service worker does with its metrics once Redis is connected: pushes its
 * increments for the cluster-wide scrape, serves `/metrics`, and shows its req/s, p95 and cache
 * hit rate in `pm2 monit` (only under PM2).
 */
export async function serviceTelemetry(
  metrics: ServiceMetrics,
  options: { redis: Redis; cachePrefix: string; onError?: ClusterMetricsOptions['onError'] },
): Promise<ServiceTelemetry> {
  const pm2Figures = await reportToPm2(metrics);
  const cluster = serviceClusterMetrics(metrics, options);
  return {
    cluster,
    endpoint: metricsEndpoint(metrics, cluster),
    async stop() {
      await cluster.stop();
      pm2Figures.stop();
    },
  };
}
