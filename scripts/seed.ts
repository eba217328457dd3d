// npm run seed -- --products 10000 [--seed 42]
// Writes the deterministic demo catalog (idempotent: upserts by slug, sku, product+warehouse).
// First marks a new database as this project's (_shop_meta) and creates the missing declared
// indexes, with progress; it never drops an index (that is `npm run db:indexes -- --drop-undeclared`).
import { seedCatalog } from '@shop/catalog/seed';
import { connectMongo, prepareDatabase, shopModels } from '@shop/db';
import cliProgress from 'cli-progress';
import { cliArgs, intFlag } from './lib/args.ts';
import { localMongo, SCRIPT_SOCKET_TIMEOUT_MS } from './lib/local-mongo.ts';

const args = cliArgs({ products: { type: 'string' }, seed: { type: 'string' } }, 'npm run seed -- --products N [--seed S]');
const products = intFlag('products', args.products, 1_000, 0, 200_000);
const seed = intFlag('seed', args.seed, 42, 0, 2 ** 31);

const mongo = await localMongo({ detach: true });
// No socket timeout (SCRIPT_SOCKET_TIMEOUT_MS): index builds and big batches take what they take.
const connection = await connectMongo({ uri: mongo.uri, dbName: process.env.MONGODB_DB ?? 'shop', socketTimeoutMS: SCRIPT_SOCKET_TIMEOUT_MS, appName: 'seed' });
try {
  const models = shopModels(connection);
  await prepareDatabase(connection, Object.values(models), { by: 'npm run seed', log: (line) => console.log(`[indexes] ${line}`) });
  const bar = new cliProgress.SingleBar(
    { format: 'seeding  [{bar}] {percentage}% | {value}/{total} products | {duration}s', noTTYOutput: true, notTTYSchedule: 2_000 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(products, 0);
  const started = performance.now();
  const result = await seedCatalog(models, { products, seed, onProgress: (done) => bar.update(done) });
  bar.stop();
  console.log(
    `seeded ${result.products} products, ${result.categories} categories, ${result.stockRows} stock rows ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${seed})`,
  );
} finally {
  await connection.close();
}
