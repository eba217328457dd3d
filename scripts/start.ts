// npm start: brings the stack up on embedded defaults with demo data.
// At this stage: MongoDB (found or stand-in) + Redis (found, started, or absent with a warning)
// + the catalog service on http://127.0.0.1:3001. Ctrl-C stops what this started.
import { seedCatalog } from '@shop/catalog/seed';
import { startServer } from '@shop/catalog/server';
import { applyIndexes, connectMongo, shopModels } from '@shop/db';
import { hasRedisServer, isListening, startRedisServer, type StartedRedis } from './lib/redis-server.ts';
import { localMongo } from './lib/local-mongo.ts';

const SEED_PRODUCTS = Number(process.env.SEED_PRODUCTS ?? 10_000);
const stops: (() => Promise<void>)[] = [];

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
  const redis: StartedRedis = await startRedisServer(6379);
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

const mongo = await localMongo();
stops.push(() => mongo.stop());
await ensureRedis();
const dbName = process.env.MONGODB_DB ?? 'shop';
await ensureDemoData(mongo.uri, dbName);

const catalog = await startServer({ MONGODB_URI: mongo.uri });
console.log(`
  catalog  http://127.0.0.1:${catalog.port}/api/catalog/products
  health   http://127.0.0.1:${catalog.port}/health/ready
  openapi  http://127.0.0.1:${catalog.port}/api/catalog/openapi.json
  running on Node ${process.version}; Ctrl-C stops everything this command started
`);

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  catalog
    .stop()
    .then(() => Promise.allSettled(stops.reverse().map((stop) => stop())))
    .then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGINT', () => shutdown('SIGINT'));
process.once('SIGTERM', () => shutdown('SIGTERM'));
