import { randomBytes } from 'node:crypto';
import { applyIndexes, connectMongo, shopModels, type ShopModels } from '@shop/db';
import { createAuth, DEV_JWT_SECRET } from '@shop/service-kit';
import type { Connection } from 'mongoose';
import request from 'supertest';
import { startServer, type CatalogServer } from '../src/server.ts';

export interface CatalogUnderTest {
  server: CatalogServer;
  baseUrl: string;
  http: () => ReturnType<typeof request>;
  models: ShopModels;
  connection: Connection;
  adminToken: string;
  customerToken: string;
  stop(): Promise<void>;
}

/**
 * Starts the real catalog service on port 0 against the test run's MongoDB and Redis, in a
 * database of its own (dropped at stop) with the declared indexes applied.
 */
export async function startCatalogForTest(env: NodeJS.ProcessEnv = {}, mongoUri?: string): Promise<CatalogUnderTest> {
  const uri = mongoUri ?? process.env.MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI is not set: run the tests through jest (global setup resolves it)');
  const dbName = `test_catalog_${randomBytes(4).toString('hex')}`;
  const connection = await connectMongo({ uri, dbName, maxPoolSize: 4 });
  const models = shopModels(connection);
  await applyIndexes(Object.values(models));

  const server = await startServer({
    CATALOG_PORT: '0',
    MONGODB_URI: uri,
    MONGODB_DB: dbName,
    CACHE_PREFIX: `${dbName}:`,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '100000',
    NODE_ENV: 'test',
    ...env,
  });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const auth = createAuth(DEV_JWT_SECRET);
  return {
    server,
    baseUrl,
    http: () => request(baseUrl),
    models,
    connection,
    adminToken: await auth.sign({ id: 'admin-1', role: 'admin' }),
    customerToken: await auth.sign({ id: 'customer-1', role: 'customer' }),
    async stop() {
      await server.stop();
      await connection.dropDatabase().catch(() => {});
      await connection.close();
    },
  };
}

/** Creates categories and products through the admin API; returns the products by sku. */
export async function seedThroughApi(
  app: CatalogUnderTest,
  products: { sku: string; name: string; brand: string; category: string; priceCents: number; popularity?: number }[],
): Promise<Record<string, { id: string }>> {
  const categories = [...new Set(products.map((p) => p.category))];
  for (const slug of categories) {
    await app
      .http()
      .post('/api/catalog/categories')
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ slug, name: slug.replace(/-/g, ' ') })
      .expect(201);
  }
  const bySku: Record<string, { id: string }> = {};
  for (const product of products) {
    const res = await app
      .http()
      .post('/api/catalog/products')
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send(product)
      .expect(201);
    bySku[product.sku] = { id: res.body.id };
  }
  return bySku;
}
