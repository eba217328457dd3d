import { createCache, type Cache } from '@shop/cache-middleware';
import { productEdgePurgers } from '@shop/catalog/edge-purger';
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
import { loadOrderConfig, type OrderConfig } from './config.ts';
import { mongoIdempotencyStore } from './data-access/idempotency-store.ts';
import { mongoHoldStore, mongoOrderStore } from './data-access/order-store.ts';
import type { OrderStore } from './domain/ports.ts';
import { startDemoSession } from './domain/demo-session.ts';
import { reconcileCancellations } from './domain/order-lifecycle.ts';
import { reconcileHolds, type ReconcileResult } from './domain/reconcile.ts';
import { ORDER_PREFIX, orderRouter } from './entry-points/http/router.ts';

/** Cancel-return records are kept this long, far past any reconciliation pass that could need them. */
const RETURN_TOMBSTONE_MS = 7 * 24 * 3_600_000;

export interface OrderServer {
  port: number;
  config: OrderConfig;
  logger: Logger;
  /** One reconciliation pass now (tests; the worker also runs it on an interval). */
  reconcile(olderThanMs?: number): Promise<ReconcileResult>;
  stop(): Promise<void>;
}

export interface OrderServerOverrides {
  /** Replaces the stock reservation (the concurrency test swaps in a naive one to prove it catches oversell). */
  stock?: OrderStore['stock'];
}

/**
 * Starts the order service. `env` overrides process.env (tests pass ORDER_PORT=0 and their own
 * database). Fails fast on bad configuration or an unreachable database; runs without Redis.
 */
export async function startServer(env: NodeJS.ProcessEnv = {}, overrides: OrderServerOverrides = {}): Promise<OrderServer> {
  const config = loadOrderConfig({ ...process.env, ...env });
  const logger = createLogger('order', config.LOG_LEVEL);
  const metrics = createServiceMetrics('order');
  const auth = createAuth(config.JWT_SECRET);
  if (config.DEMO_SIGN_IN) logger.warn('DEMO_SIGN_IN is on: POST /api/orders/demo-session gives anyone a customer token (demo stacks only)');
  // With its transition log lines and the watchdog that resets a wedged client (decision 0014).
  const { connection, watchdog: mongoWatchdog } = await connectServiceMongo(config, 'order', logger, (client) => instrumentMongo(client, metrics));
  // The cache's L2 entries in a Redis of their own when CACHE_REDIS_URL names one (decision 0015).
  const [redis, cacheRedis] = await Promise.all([
    connectRedisFromConfig(config, logger, 'order'),
    connectRedisFromConfig(config, logger, 'order', 'cache'),
  ]);
  // Cluster-wide /metrics (every worker pushes its increments; decision 0011) and pm2 monit figures.
  const telemetry = await serviceTelemetry(metrics, { redis, cachePrefix: config.CACHE_PREFIX, onError: throttledWarn(logger, 'metrics push failed') });
  // Only for invalidation: orders change stock that the catalog caches (its L2 entries are in
  // cacheRedis when there is one).
  const cache: Cache = createCache({
    redis,
    l2Redis: cacheRedis,
    metrics: metrics.cache,
    prefix: config.CACHE_PREFIX,
    l1: false,
    // Stock changes change the product answers nginx's edge cache may hold (decision 0018).
    purgers: productEdgePurgers(config.EDGE_PURGE_URLS, logger, metrics.edgePurges),
    onError: (error, context) => logger.warn({ err: String(error), context }, 'cache invalidation degraded'),
  });
  const models = shopModels(connection);
  const baseStore = mongoOrderStore(models);
  const store: OrderStore = overrides.stock ? { ...baseStore, stock: overrides.stock } : baseStore;
  const holds = mongoHoldStore(models);
  const invalidate = (tags: string[]): Promise<void> => cache.invalidateTags(tags);
  const reconcile = async (olderThanMs = config.RESERVATION_TIMEOUT_MS): Promise<ReconcileResult> => {
    const result = await reconcileHolds(holds, olderThanMs, invalidate);
    await store.stock.pruneReturns(new Date(Date.now() - RETURN_TOMBSTONE_MS));
    const restocked = await reconcileCancellations(store, olderThanMs, invalidate);
    return restocked > 0 ? { ...result, restocked } : result;
  };

  const limiter = rateLimiterFromConfig(config, redis, 'order', logger, () => metrics.rateLimitRejections.inc());
  const app = createServiceApp({
    service: 'order',
    proxies: config,
    auth: auth,
    prefix: ORDER_PREFIX,
    logger,
    // redis-cache, when there is one, is not critical: an invalidation that cannot reach it is replayed when it is back.
    healthChecks: dependencyHealthChecks(() => pingMongo(connection), () => pingRedis(redis), {
      pingCacheRedis: cacheRedis && (() => pingRedis(cacheRedis)),
    }),
    beforeRoutes: [limiter],
    metrics: telemetry.endpoint,
    routes: orderRouter(
      {
        store,
        idempotency: mongoIdempotencyStore(models),
        policy: { retentionMs: config.IDEMPOTENCY_RETENTION_HOURS * 3_600_000, lockMs: 30_000 },
        invalidate,
        ...(config.DEMO_SIGN_IN ? { demoSession: () => startDemoSession(auth.sign) } : {}),
      },
      auth,
    ),
    requestDeadlineMs: config.REQUEST_DEADLINE_MS,
    onCatastrophic: () => process.kill(process.pid, 'SIGTERM'),
  });

  // Passes are chained, never overlapping; passes in other workers are harmless (all conditional).
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      reconcile()
        .then(
          (result) => {
            if (result.committed + result.released + (result.restocked ?? 0) > 0) logger.info(result, 'reconciled');
          },
          (error: unknown) => logger.warn({ err: String(error) }, 'reconciliation failed; next pass retries'),
        )
        .finally(schedule);
    }, config.RECONCILE_INTERVAL_MS);
    timer.unref();
  };
  schedule();

  const http = await listenService(app, {
    service: 'order',
    port: config.ORDER_PORT,
    host: config.HOST,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    release: [
      () => limiter.close(),
      () => {
        stopped = true;
        clearTimeout(timer);
      },
      () => cache.close(),
      () => mongoWatchdog.stop(),
      () => connection.close(),
      () => telemetry.stop(),
      () => closeRedis(redis),
      () => closeRedis(cacheRedis),
    ],
  });
  return { port: http.port, config, logger, reconcile, stop: () => http.stop() };
}
