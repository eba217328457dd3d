export { createServiceMetrics, LATENCY_BUCKETS, type ServiceMetrics, type CacheMetricsSink } from './service-metrics.ts';
export { httpMetrics, routeTemplate } from './http-metrics.ts';
export { instrumentMongo, type MongoEvents } from './mongo-metrics.ts';
export { clusterMetrics, type ClusterMetrics, type ClusterMetricsOptions } from './cluster-metrics.ts';
export { renderExposition, CONTENT_TYPE, type MetricFamily } from './exposition.ts';
export { metricsEndpoint } from './endpoint.ts';
