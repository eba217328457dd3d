import type { ClusterMetrics } from './cluster-metrics.ts';
import { CONTENT_TYPE } from './exposition.ts';
import { httpMetrics } from './http-metrics.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/** What a service app mounts (service-kit `metrics` option): the RED middleware and the cluster-wide scrape. */
export function metricsEndpoint(metrics: ServiceMetrics, cluster: ClusterMetrics) {
  return { http: httpMetrics(metrics), scrape: () => cluster.render(), contentType: CONTENT_TYPE };
}
