import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ShopModels } from '@shop/db';
import { testDatabase as createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { createAuth, DEV_JWT_SECRET } from '@shop/service-kit';
import request from 'supertest';
import { startServer, type OrderServer } from '../src/server.ts';

export type { TestDatabase };

/** A fresh database on the test run's MongoDB, with the declared indexes. */
export const testDatabase = (): Promise<TestDatabase> => createTestDatabase('test_order', { maxPoolSize: 8 });

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
  ...db.serviceEnv,
  ORDER_PORT: '0',
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
export async function spawnWorker(db: TestDatabase, mode: 'normal' | 'naive' | 'hang-after-reserve' | 'hang-mid-line' | 'hang-after-order'): Promise<WorkerProcess> {
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
