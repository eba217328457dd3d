import type { ShopModels } from '@shop/db';
import { testDatabase } from '@shop/db/testing';
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
  const db = await testDatabase('test_catalog', { uri: mongoUri });
  const server = await startServer({ CATALOG_PORT: '0', ...db.serviceEnv, ...env });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const auth = createAuth(DEV_JWT_SECRET);
  return {
    server,
    baseUrl,
    http: () => request(baseUrl),
    models: db.models,
    connection: db.connection,
    adminToken: await auth.sign({ id: 'admin-1', role: 'admin' }),
    customerToken: await auth.sign({ id: 'customer-1', role: 'customer' }),
    async stop() {
      await server.stop();
      await db.drop();
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
