// npm start: brings the stack up on embedded defaults with demo data.
// At this stage: MongoDB (found or stand-in) + Redis (found, started, or absent with a warning)
// + the catalog service on http://127.0.0.1:3001 and search on :3003. Ctrl-C stops what this started.
//
// The servers this command starts (stand-in, redis-server) run in their own process groups, so a
// terminal's Ctrl-C reaches only this process: it stops the services first (in-flight requests
// finish against a live database), then those servers. They are stopped too when startup fails or
// this process exits any other way; servers that were found running are left alone.
import { seedCatalog } from '@shop/catalog/seed';
import { startServer as startCatalog } from '@shop/catalog/server';
import { startServer as startSearch } from '@shop/search/server';
import { applyIndexes, connectMongo, shopModels } from '@shop/db';
import { hasRedisServer, isListening, startRedisServer, type StartedRedis } from './lib/redis-server.ts';
import { localMongo } from './lib/local-mongo.ts';

const SEED_PRODUCTS = Number(process.env.SEED_PRODUCTS ?? 10_000);

/** Stops for the servers this command started, in start order (run in reverse). */
const stops: (() => Promise<void>)[] = [];
/** The services running in this process, in start order. */
const services: { name: string; stop(): Promise<void>; config: { SHUTDOWN_TIMEOUT_MS: number } }[] = [];
/** The server start in progress, so a shutdown during startup also stops what it is bringing up. */
let starting: Promise<unknown> = Promise.resolve();
let stopping = false;

function stopStartedServers(): Promise<unknown> {
  return Promise.allSettled(stops.splice(0).reverse().map((stop) => stop()));
}

// Last resort, whatever ends this process (process.exit anywhere, a crash): the stops send their
// SIGTERM synchronously, so even this synchronous handler does not leave the servers behind.
process.on('exit', () => {
  void stopStartedServers();
});

/** Services first, then the servers this command started; exits with `code`. */
function shutdown(reason: string, code: number): void {
  if (stopping) return;
  stopping = true;
  console.log(`\n${reason}: stopping…`);
  // Services drain for up to their SHUTDOWN_TIMEOUT_MS; past that (and some slack) stop the rest anyway.
  const deadlineMs = Math.max(10_000, ...services.map((s) => s.config.SHUTDOWN_TIMEOUT_MS)) + 15_000;
  setTimeout(() => {
    console.error(`[start] shutdown took longer than ${deadlineMs / 1000} s; stopping the servers anyway`);
    void stopStartedServers().finally(() => process.exit(1));
  }, deadlineMs).unref();
  Promise.all(
    services.map((service) =>
      service.stop().then(
        () => console.log(`[start] ${service.name} stopped`),
        (error: unknown) => console.error(`[start] ${service.name} stop failed:`, error),
      ),
    ),
  )
    .then(() => starting.catch(() => {}))
    .then(() => stopStartedServers())
    .then(() => {
      console.log('[start] stopped');
      process.exit(code);
    });
}

// From the very start: a Ctrl-C during seeding must still stop what was started. `on`, not `once`:
// with a terminal, SIGINT arrives twice (npm forwards the one it got), and the second must not kill
// this process half-way through its shutdown.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal, 0));
process.on('uncaughtException', (error) => {
  console.error('[start] uncaught exception:', error);
  shutdown('uncaughtException', 1);
});
process.on('unhandledRejection', (reason) => {
  console.error('[start] unhandled promise rejection:', reason);
  shutdown('unhandledRejection', 1);
});

/** Tracks a server start so that `shutdown` waits for it (and then stops that server too). */
function track<T>(start: Promise<T>): Promise<T> {
  starting = start;
  return start;
}

async function ensureRedis(): Promise<void> {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (await isListening(url.hostname, Number(url.port || 6379))) {
    console.log(`[redis] using ${url.href}`);
    return;
  }
  if (process.env.REDIS_URL || !hasRedisServer()) {
    console.warn(
      `[redis] WARNING: no Redis at ${url.href}. Running without it: rate limits count per worker ` +
        'and nothing is shared between workers. Install redis-server (Debian) to get the full stack.',
    );
    return;
  }
  const redis: StartedRedis = await startRedisServer(6379, { detached: true });
  stops.push(() => redis.stop());
  console.log(`[redis] started redis-server at ${redis.url}`);
}

async function ensureDemoData(uri: string, dbName: string): Promise<void> {
  const connection = await connectMongo({ uri, dbName });
  try {
    const models = shopModels(connection);
    await applyIndexes(Object.values(models));
    const existing = await models.Product.estimatedDocumentCount();
    if (existing >= SEED_PRODUCTS) {
      console.log(`[seed] ${existing} products already in "${dbName}"`);
      return;
    }
    console.log(`[seed] writing ${SEED_PRODUCTS} demo products into "${dbName}"…`);
    let lastShown = 0;
    const result = await seedCatalog(models, {
      products: SEED_PRODUCTS,
      onProgress: (done, total) => {
        if (done === total || done - lastShown >= total / 10) {
          lastShown = done;
          console.log(`[seed] ${done}/${total}`);
        }
      },
    });
    console.log(`[seed] done: ${result.products} products, ${result.stockRows} stock rows`);
  } finally {
    await connection.close();
  }
}

const pick = (server: { stop(): Promise<void>; config: { SHUTDOWN_TIMEOUT_MS: number } }) => ({
  stop: () => server.stop(),
  config: server.config,
});

async function main(): Promise<void> {
  const mongo = await track(
    localMongo({ detach: true }).then((resolved) => {
      stops.push(() => resolved.stop());
      return resolved;
    }),
  );
  if (stopping) return;
  await track(ensureRedis());
  if (stopping) return;
  const dbName = process.env.MONGODB_DB ?? 'shop';
  await ensureDemoData(mongo.uri, dbName);
  if (stopping) return;

  const catalog = await startCatalog({ MONGODB_URI: mongo.uri });
  services.push({ name: 'catalog', ...pick(catalog) });
  if (stopping) {
    await catalog.stop();
    return;
  }
  const search = await startSearch({ MONGODB_URI: mongo.uri });
  services.push({ name: 'search', ...pick(search) });
  if (stopping) {
    await search.stop();
    return;
  }
  console.log(`
  catalog  http://127.0.0.1:${catalog.port}/api/catalog/products
  search   http://127.0.0.1:${search.port}/api/search?q=laptop   (type-ahead: /api/search/suggest?q=lap)
  health   http://127.0.0.1:${catalog.port}/health/ready, http://127.0.0.1:${search.port}/health/ready
  openapi  http://127.0.0.1:${catalog.port}/api/catalog/openapi.json, http://127.0.0.1:${search.port}/api/search/openapi.json
  running on Node ${process.version}; Ctrl-C stops everything this command started
`);
}

try {
  await main();
} catch (error) {
  if (!stopping) {
    console.error('[start] startup failed:', error);
    shutdown('startup failure', 1);
  }
}
