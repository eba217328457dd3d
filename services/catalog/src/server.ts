import { createCache, createEdgeKeys, createFastHits, type Cache, type CacheMetrics, type EdgeKeys, type Purger } from '@shop/cache-middleware';
import { connectServiceMongo, pingMongo, shopModels } from '@shop/db';
import { createServiceMetrics, createWebVitals, instrumentMongo, performanceSummary, serviceTelemetry } from '@shop/metrics';
import {
  closeRedis,
  connectRedisFromConfig,
  createAuth,
  createLogger,
  createServiceApp,
  dependencyHealthChecks,
  listenService,
  pingRedis,
  rateLimiterFromConfig,
  throttledWarn,
  type Logger,
  type Redis,
} from '@shop/service-kit';
import { loadCatalogConfig, type CatalogConfig } from './config.ts';
import { productEdgePurgers } from './data-access/edge-purger.ts';
import { mongoCatalogStore } from './data-access/catalog-store.ts';
import { PERFORMANCE_PREFIX, performanceRouter } from './entry-points/http/performance-router.ts';
import { CATALOG_PREFIX, catalogRouter } from './entry-points/http/router.ts';

export interface CatalogServer {
  port: number;
  config: CatalogConfig;
  logger: Logger;
  cache: Cache;
  /** Graceful stop: stop accepting, finish in-flight requests, close Redis and the Mongo pool. */
  stop(): Promise<void>;
}

/**
 * Starts the catalog service. `env` overrides process.env (tests pass CATALOG_PORT=0 and their
 * own database). Fails fast on bad configuration or an unreachable database; starts without
 * Redis (with a warning) and picks it up when it appears.
 */
export async function startServer(env: NodeJS.ProcessEnv = {}): Promise<CatalogServer> {
  const config = loadCatalogConfig({ ...process.env, ...env });
  const logger = createLogger('catalog', config.LOG_LEVEL);

  const metrics = createServiceMetrics('catalog');
  // With its transition log lines and the watchdog that resets a wedged client (decision 0014).
  const { connection, watchdog: mongoWatchdog } = await connectServiceMongo(config, 'catalog', logger, (client) => instrumentMongo(client, metrics));
  // The cache's L2 entries in a Redis of their own when CACHE_REDIS_URL names one (decision 0015).
  const [redis, cacheRedis] = await Promise.all([
    connectRedisFromConfig(config, logger, 'catalog'),
    connectRedisFromConfig(config, logger, 'catalog', 'cache'),
  ]);
  // Cluster-wide /metrics (every worker pushes its increments; decision 0011) and pm2 monit figures.
  const telemetry = await serviceTelemetry(metrics, { redis, cachePrefix: config.CACHE_PREFIX, onError: throttledWarn(logger, 'metrics push failed') });
  // The shop's web vitals are counted here, with the catalog's own metrics.
  const vitals = createWebVitals(metrics.registry);
  const auth = createAuth(config.JWT_SECRET);

  // The listings and product pages this worker answers from its cache, by the raw URL nginx keys
  // them by: the edge stores one only once its key is recorded here, for this worker to purge
  // (decision 0018). Only while this worker hears every invalidation: an answer recorded during a
  // gap in the bus could already be stale (after the gap, every recorded listing is purged:
  // onSubscribed; product pages are purged by path by every writer, whatever the bus does).
  let hearsInvalidations = (): boolean => false;
  const edgeRecord = (): EdgeKeys | undefined => (config.EDGE_PURGE_URLS.length > 0 ? createEdgeKeys({ active: () => hearsInvalidations() }) : undefined);
  const [edgeKeys, productEdgeKeys] = [edgeRecord(), edgeRecord()];
  const purgers = productEdgePurgers(config.EDGE_PURGE_URLS, logger, metrics.edgePurges, { listings: edgeKeys, products: productEdgeKeys });
  const cache = createCatalogCache(redis, cacheRedis, config, logger, metrics.cache, purgers);
  hearsInvalidations = () => cache.subscribed;
  metrics.watchL1(cache.l1);
  const store = mongoCatalogStore(shopModels(connection));
  // Fresh hits answered before Express (decision 0018), spending the same rate-limit budget.
  const fastHits = config.CACHE_FAST_LANE === 'on' ? createFastHits(cache) : undefined;
  const limiter = rateLimiterFromConfig(config, redis, 'catalog', logger, () => metrics.rateLimitRejections.inc());
  const app = createServiceApp({
    service: 'catalog',
    proxies: config,
    auth: auth,
    prefix: CATALOG_PREFIX,
    logger,
    // redis-cache, when there is one, is not critical: without it the cache serves from L1 and the database.
    healthChecks: dependencyHealthChecks(() => pingMongo(connection), () => pingRedis(redis), {
      pingCacheRedis: cacheRedis && (() => pingRedis(cacheRedis)),
    }),
    beforeRoutes: [limiter],
    metrics: telemetry.endpoint,
    fastLane: fastHits && { answers: fastHits, limiter, hitLogEvery: config.ACCESS_LOG_HIT_SAMPLE },
    routes: catalogRouter(store, auth, cache, { staleIfErrorMs: config.CACHE_STALE_IF_ERROR_MS, fastHits, edgeKeys, productEdgeKeys }),
    mounts: [
      {
        prefix: PERFORMANCE_PREFIX,
        // This worker's latest numbers first; the other workers' are at most a second old.
        router: performanceRouter(
          () =>
            telemetry.cluster
              .flush()
              .catch(() => {})
              .then(() => performanceSummary(redis, config.CACHE_PREFIX, ['catalog', 'order', 'search'], 'catalog')),
          vitals,
          auth,
        ),
      },
    ],
    requestDeadlineMs: config.REQUEST_DEADLINE_MS,
    // A catastrophic error leaves the process unfit to serve: stop gracefully, PM2 replaces it.
    onCatastrophic: () => process.kill(process.pid, 'SIGTERM'),
  });

  const http = await listenService(app, {
    service: 'catalog',
    port: config.CATALOG_PORT,
    host: config.HOST,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    release: [
      () => limiter.close(),
      () => cache.close(),
      () => mongoWatchdog.stop(),
      () => connection.close(),
      () => telemetry.stop(),
      () => closeRedis(redis),
      () => closeRedis(cacheRedis),
    ],
  });
  return { port: http.port, config, logger, cache, stop: () => http.stop() };
}

/**
 * The shared cache: L1 in this worker, L2 and invalidation over Redis under CACHE_PREFIX, which
 * every service of one deployment shares, so an invalidation here clears every worker of every service.
 * L2 entries go to `cacheRedis` when there is one (locks and invalidation messages stay on `redis`).
 * Redis trouble is logged at most once per context every 30 s.
 */
function createCatalogCache(redis: Redis, cacheRedis: Redis | undefined, config: CatalogConfig, logger: Logger, metrics: CacheMetrics, purgers: Purger[]): Cache {
  return createCache({
    metrics,
    redis,
    l2Redis: cacheRedis,
    prefix: config.CACHE_PREFIX,
    l1: { maxEntries: 20_000, maxBytes: config.CACHE_L1_MAX_BYTES },
    // nginx's edge cache (decision 0018) is purged by the worker that changed a product (by path)
    // and by every catalog worker once it has dropped that product from its own L1, of what it
    // answered itself (recorded keys): an answer this worker gave from the old entry reached nginx
    // before this purge, whatever the bus's delay. A worker that answered nothing of it sends nothing.
    purgers,
    onRemoteInvalidation: (message) => {
      for (const purger of purgers) void (purger.purgeAnswered ? purger.purgeAnswered(message) : purger.purge(message));
    },
    // After a gap in the bus this worker's L1 is already dropped; the listings it recorded for the
    // edge may carry changes it never heard of: they go too (a new generation). Product pages live
    // out their 10 s.
    onSubscribed: () => {
      for (const purger of purgers) void purger.purgeRecorded?.();
    },
    onError: throttledWarn(logger, 'cache degraded'),
  });
}
