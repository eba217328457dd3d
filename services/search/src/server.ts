import { createCache, createFastHits, generationEdgeKeys, type Cache } from '@shop/cache-middleware';
import { connectServiceMongo, pingMongo, shopModels } from '@shop/db';
import { createServiceMetrics, instrumentMongo, serviceTelemetry } from '@shop/metrics';
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
} from '@shop/service-kit';
import { loadSearchConfig, type SearchConfig } from './config.ts';
import { edgePopularCounts } from './data-access/edge-popular-counts.ts';
import { searchEdgePurgers } from './data-access/edge-purger.ts';
import { redisPopularStore } from './data-access/popular-store.ts';
import { mongoProductSource } from './data-access/product-source.ts';
import { SEARCH_RESULTS } from './domain/cache-tags.ts';
import { createIndexSync, type IndexSync } from './domain/index-sync.ts';
import { createPopularQueries } from './domain/popular-queries.ts';
import { createPopularSearches } from './domain/popular-searches.ts';
import { SearchIndex } from './domain/search-index.ts';
import { searchRouter } from './entry-points/http/router.ts';
import { SEARCH_PREFIX, searchApi } from './entry-points/http/routes.ts';

/** Room for a pasted 50 000-character query, so it gets a JSON 400 rather than Node's bare 431. */
const MAX_HEADER_BYTES = 128 * 1024;
const POPULAR_SYNC_MS = 5_000;
const WARM_DELAY_MS = 250;

export interface SearchServer {
  port: number;
  config: SearchConfig;
  logger: Logger;
  index: SearchIndex;
  sync: IndexSync;
  cache: Cache;
  /**
   * Pushes popular counts to Redis and warms the most popular searches now (tests; it also runs
   * on timers); resolves to how many were looked at and are now cached.
   */
  warmPopular(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the search service: loads every product into this worker's index, follows catalog
 * writes over the cache invalidation channel (polling when Redis is away), then listens.
 * `env` overrides process.env (tests pass SEARCH_PORT=0 and their own database).
 */
export async function startServer(env: NodeJS.ProcessEnv = {}): Promise<SearchServer> {
  const config = loadSearchConfig({ ...process.env, ...env });
  const logger = createLogger('search', config.LOG_LEVEL);
  const metrics = createServiceMetrics('search');
  // With its transition log lines and the watchdog that resets a wedged client (decision 0014).
  const { connection, watchdog: mongoWatchdog } = await connectServiceMongo(config, 'search', logger, (client) => instrumentMongo(client, metrics));
  // The cache's L2 entries in a Redis of their own when CACHE_REDIS_URL names one (decision 0015).
  const [redis, cacheRedis] = await Promise.all([
    connectRedisFromConfig(config, logger, 'search'),
    connectRedisFromConfig(config, logger, 'search', 'cache'),
  ]);
  // Cluster-wide /metrics (every worker pushes its increments; decision 0011) and pm2 monit figures.
  const telemetry = await serviceTelemetry(metrics, { redis, cachePrefix: config.CACHE_PREFIX, onError: throttledWarn(logger, 'metrics push failed') });

  // Redis and database trouble is logged at most once per context every 30 s.
  const report = throttledWarn(logger, 'search degraded');
  const index = new SearchIndex();
  // True once the comparison after the latest (re)subscription has been applied: from then on this
  // worker's index holds every write announced so far, and hears each later one.
  let caughtUp = false;
  let subscriptions = 0;
  // Warming starts once the service listens; before that an index change only drops cached answers.
  let warm: (() => Promise<number>) | undefined;
  let warmTimer: NodeJS.Timeout | undefined;
  const scheduleWarm = (): void => {
    if (!warm) return;
    clearTimeout(warmTimer);
    warmTimer = setTimeout(() => void warm?.().catch((error: unknown) => report(error, 'warm')), WARM_DELAY_MS);
    warmTimer.unref();
  };
  const sync: IndexSync = createIndexSync({
    index,
    source: mongoProductSource(shopModels(connection)),
    followingWrites: () => cache.subscribed,
    pollMs: config.SEARCH_POLL_MS,
    safetyPollMs: config.SEARCH_SAFETY_POLL_MS,
    onChange: () => {
      void cache.invalidateTags([SEARCH_RESULTS]);
      scheduleWarm();
    },
    onError: report,
  });
  const cache: Cache = createCache({
    metrics: metrics.cache,
    redis,
    l2Redis: cacheRedis,
    prefix: config.CACHE_PREFIX,
    l1: { maxEntries: 5_000, maxBytes: 64 * 1024 * 1024 },
    // Each change to this worker's index moves nginx's stored search answers to a new generation.
    purgers: searchEdgePurgers(config.EDGE_PURGE_URLS, logger, metrics.edgePurges),
    onError: report,
    // Catalog writes publish what they changed on this channel: the index follows it. Whenever
    // the subscription (re)starts, writes announced before it are found by a full comparison.
    onRemoteInvalidation: (message) => sync.onTags(message.tags ?? []),
    onSubscribed: () => {
      const subscription = ++subscriptions;
      caughtUp = false;
      void sync
        .reconcile()
        .then(() => sync.settled())
        .then(
          () => {
            // Not when the bus dropped and came back meanwhile: the newer comparison decides.
            if (subscription === subscriptions) caughtUp = true;
          },
          (error: unknown) => report(error, 'reconcile'),
        );
    },
  });

  const started = performance.now();
  try {
    await sync.load();
  } catch (error) {
    sync.stop();
    mongoWatchdog.stop();
    await cache.close();
    await connection.close();
    redis.disconnect();
    cacheRedis?.disconnect();
    throw error;
  }
  logger.info({ products: index.size, terms: index.termCount, ms: Math.round(performance.now() - started) }, 'search index loaded');
  sync.start();

  const popular = createPopularSearches(createPopularQueries(), redisPopularStore(redis, `${config.CACHE_PREFIX}search:popular`));
  const fastHits = config.CACHE_FAST_LANE === 'on' ? createFastHits(cache) : undefined;
  // With an edge cache, nginx stores search answers (under a generation every index change
  // bumps) and counts the ones it answers itself, which are added here to what this worker counted.
  // It stores this worker's answers only while the worker is caught up and hears every write: a
  // worker that starts, or comes back after a gap in the bus, may answer from an index (or L1)
  // that misses writes until its comparison is applied, and a worker that polls learns of a write
  // up to SEARCH_POLL_MS late. (A change it then finds still bumps the generation.)
  const edge = config.EDGE_PURGE_URLS.length > 0;
  const edgeKeys = edge ? generationEdgeKeys(() => caughtUp && cache.subscribed) : undefined;
  const api = searchApi({ index, cache, popular, fastHits, edgeKeys });
  const edgeCounts = edge ? edgePopularCounts({ urls: config.EDGE_PURGE_URLS, onError: (error, url) => report(error, `edge popular searches: ${url}`) }) : undefined;
  const warmPopular = async (): Promise<number> => {
    if (edgeCounts) for (const [url, count] of await edgeCounts()) popular.record(url, count);
    await popular.sync().catch((error: unknown) => report(error, 'popular searches'));
    const urls = popular.urls().slice(0, config.SEARCH_WARM_QUERIES);
    let warmed = 0;
    for (const url of urls) {
      // One bad entry must not keep the others cold.
      await api.warm(url).then(
        (stored) => void (warmed += stored ? 1 : 0),
        (error: unknown) => report(error, 'warm'),
      );
    }
    return warmed;
  };
  const popularTimer = setInterval(() => void warmPopular().catch((error: unknown) => report(error, 'warm')), POPULAR_SYNC_MS);
  popularTimer.unref();

  const searchAuth = createAuth(config.JWT_SECRET);
  const limiter = rateLimiterFromConfig(config, redis, 'search', logger, () => metrics.rateLimitRejections.inc());
  const app = createServiceApp({
    service: 'search',
    proxies: config,
    auth: searchAuth,
    prefix: SEARCH_PREFIX,
    logger,
    // Answers come from memory: a MongoDB outage only stops the index from following writes.
    healthChecks: dependencyHealthChecks(() => pingMongo(connection), () => pingRedis(redis), {
      mongoCritical: false,
      pingCacheRedis: cacheRedis && (() => pingRedis(cacheRedis)),
    }),
    beforeRoutes: [limiter],
    metrics: telemetry.endpoint,
    fastLane: fastHits && { answers: fastHits, limiter, hitLogEvery: config.ACCESS_LOG_HIT_SAMPLE },
    routes: searchRouter(api, searchAuth),
    requestDeadlineMs: config.REQUEST_DEADLINE_MS,
    onCatastrophic: () => process.kill(process.pid, 'SIGTERM'),
  });

  const http = await listenService(app, {
    service: 'search',
    port: config.SEARCH_PORT,
    host: config.HOST,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
    release: [
      () => limiter.close(),
      () => {
        warm = undefined;
        sync.stop();
        clearInterval(popularTimer);
        clearTimeout(warmTimer);
      },
      () => sync.settled(),
      () => cache.close(),
      () => mongoWatchdog.stop(),
      () => connection.close(),
      () => telemetry.stop(),
      () => closeRedis(redis),
      () => closeRedis(cacheRedis),
    ],
  });
  warm = warmPopular;
  return { port: http.port, config, logger, index, sync, cache, warmPopular, stop: () => http.stop() };
}
