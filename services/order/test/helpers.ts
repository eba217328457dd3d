import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { applyIndexes, connectMongo, shopModels, type ShopModels } from '@shop/db';
import { createAuth, DEV_JWT_SECRET } from '@shop/service-kit';
import type { Connection } from 'mongoose';
import request from 'supertest';
import { startServer, type OrderServer } from '../src/server.ts';

export interface TestDatabase {
  uri: string;
  dbName: string;
  connection: Connection;
  models: ShopModels;
  drop(): Promise<void>;
}

/** A fresh database on the test run's MongoDB, with the declared indexes. */
export async function testDatabase(): Promise<TestDatabase> {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI is not set: run the tests through jest (global setup resolves it)');
  const dbName = `test_order_${randomBytes(4).toString('hex')}`;
  const connection = await connectMongo({ uri, dbName, maxPoolSize: 8 });
  const models = shopModels(connection);
  await applyIndexes(Object.values(models));
  return {
    uri,
    dbName,
    connection,
    models,
    async drop() {
      await connection.dropDatabase().catch(() => {});
      await connection.close();
    },
  };
}

/** Writes a product with stock per warehouse directly (the catalog is not under test here). */
export async function addProduct(
  models: ShopModels,
  product: { sku: string; priceCents: number; stock: Record<string, number> },
): Promise<string> {
  const category = await models.Category.findOneAndUpdate(
    { slug: 'test' },
    { $setOnInsert: { name: 'Test', parentId: null } },
    { upsert: true, returnDocument: 'after' },
  ).lean();
  const total = Object.values(product.stock).reduce((a, b) => a + b, 0);
  const doc = await models.Product.create({
    sku: product.sku,
    name: `Product ${product.sku}`,
    brand: 'Nordvik',
    categoryId: category!._id,
    priceCents: product.priceCents,
    stockTotal: total,
  });
  for (const [warehouse, quantity] of Object.entries(product.stock)) {
    await models.Stock.create({ productId: doc._id, warehouse, quantity });
  }
  return doc._id.toHexString();
}

export const testEnv = (db: TestDatabase): NodeJS.ProcessEnv => ({
  ORDER_PORT: '0',
  MONGODB_URI: db.uri,
  MONGODB_DB: db.dbName,
  CACHE_PREFIX: `${db.dbName}:`,
  LOG_LEVEL: 'silent',
  RATE_LIMIT_MAX: '100000',
  NODE_ENV: 'test',
  RECONCILE_INTERVAL_MS: '3600000',
});

export interface OrderUnderTest {
  server: OrderServer;
  http: () => ReturnType<typeof request>;
  stop(): Promise<void>;
}

export async function startOrderForTest(db: TestDatabase, env: NodeJS.ProcessEnv = {}): Promise<OrderUnderTest> {
  const server = await startServer({ ...testEnv(db), ...env });
  const base = `http://127.0.0.1:${server.port}`;
  return { server, http: () => request(base), stop: () => server.stop() };
}

const auth = createAuth(DEV_JWT_SECRET);
export const tokenFor = (id: string, role: 'customer' | 'admin' = 'customer'): Promise<string> => auth.sign({ id, role });

export const sumStock = async (models: ShopModels, productId: string): Promise<number> =>
  (await models.Stock.find({ productId }).lean()).reduce((sum, row) => sum + row.quantity, 0);

export interface WorkerProcess {
  child: ChildProcess;
  port: number;
  base: string;
}

/** Starts the order service in a separate Node process (see fixtures/order-worker.ts). */
export async function spawnWorker(db: TestDatabase, mode: 'normal' | 'naive' | 'hang-after-reserve'): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'order-worker.ts'), mode], {
    env: { ...process.env, ...testEnv(db) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('order worker did not start within 20 s')), 20_000);
    child.once('message', (message: { port?: number }) => {
      clearTimeout(timer);
      if (typeof message.port === 'number') resolve(message.port);
      else reject(new Error(`unexpected worker message ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => reject(new Error(`order worker exited with ${code}`)));
  });
  return { child, port, base: `http://127.0.0.1:${port}` };
}
