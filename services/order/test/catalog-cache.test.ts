import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer as startCatalog, type CatalogServer } from '@shop/catalog/server';
import { Types } from 'mongoose';
import request from 'supertest';
import { addProduct, startOrderForTest, testDatabase, testEnv, tokenFor, type OrderUnderTest, type TestDatabase } from './helpers.ts';

let db: TestDatabase;
let orders: OrderUnderTest;
let catalog: CatalogServer;
const catalogHttp = () => request(`http://127.0.0.1:${catalog.port}`);

/** Invalidation travels over Redis pub/sub; the contract is "within 100 ms". */
async function readWithin100ms(url: string, expectedStock: number): Promise<{ stockTotal: number; waitedMs: number }> {
  const started = performance.now();
  let body: { stockTotal: number } = { stockTotal: -1 };
  while (performance.now() - started < 100) {
    body = (await catalogHttp().get(url).expect(200)).body;
    if (body.stockTotal === expectedStock) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { stockTotal: body.stockTotal, waitedMs: performance.now() - started };
}

beforeAll(async () => {
  db = await testDatabase();
  orders = await startOrderForTest(db);
  const env = testEnv(db);
  catalog = await startCatalog({ CATALOG_PORT: '0', MONGODB_URI: env.MONGODB_URI, MONGODB_DB: env.MONGODB_DB, CACHE_PREFIX: env.CACHE_PREFIX, LOG_LEVEL: 'silent' });
});

afterAll(async () => {
  await catalog.stop();
  await orders.stop();
  await db.drop();
});

describe('orders and the catalog cache', () => {
  it('when an order is placed and then cancelled, then the catalog serves the new stock at once, not its cached copy', async () => {
    const productId = await addProduct(db.models, { sku: 'XSVC-1', priceCents: 100, stock: { 'ams-1': 10 } });
    const url = `/api/catalog/products/${productId}`;
    await catalogHttp().get(url).expect(200);
    const cached = await catalogHttp().get(url).expect(200);
    expect(cached.headers['x-cache']).toBe('HIT-FAST');
    expect(cached.body.stockTotal).toBe(10);

    const placed = await orders
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${await tokenFor('x-buyer')}`)
      .set('Idempotency-Key', 'cross-service-1')
      .send({ items: [{ productId, quantity: 4 }] })
      .expect(201);
    expect((await readWithin100ms(url, 6)).stockTotal).toBe(6);

    await orders.http().post(`/api/orders/${placed.body.id}/cancel`).set('Authorization', `Bearer ${await tokenFor('x-buyer')}`).expect(200);
    expect((await readWithin100ms(url, 10)).stockTotal).toBe(10);
  });

  it('when an order leaves a product in stock, then its updatedAt stays; when one sells it out, then updatedAt moves', async () => {
    // updatedAt is what search's poll and full comparison follow: a count that stays above zero
    // changes nothing they show, a sell-out changes inStock.
    const productId = await addProduct(db.models, { sku: 'XSVC-UPD', priceCents: 100, stock: { 'ams-1': 3 } });
    const updatedAt = async (): Promise<number> => (await db.models.Product.findById(productId, { updatedAt: 1 }).lean())!.updatedAt.getTime();
    const order = async (key: string, quantity: number): Promise<void> => {
      await orders
        .http()
        .post('/api/orders')
        .set('Authorization', `Bearer ${await tokenFor('x-buyer')}`)
        .set('Idempotency-Key', key)
        .send({ items: [{ productId, quantity }] })
        .expect(201);
    };
    const before = await updatedAt();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await order('updated-at-1', 1);
    expect((await db.models.Product.findById(productId, { stockTotal: 1 }).lean())!.stockTotal).toBe(2);
    expect(await updatedAt()).toBe(before);
    await order('updated-at-2', 2);
    expect((await db.models.Product.findById(productId, { stockTotal: 1 }).lean())!.stockTotal).toBe(0);
    expect(await updatedAt()).toBeGreaterThan(before);
  });

  it('when reconciliation gives back units a crashed worker held, then the catalog serves the restored stock at once, not its cached copy', async () => {
    const productId = await addProduct(db.models, { sku: 'XSVC-2', priceCents: 100, stock: { 'ams-1': 10 } });
    // What a worker that died after reserving 3 units leaves: a decrement and its hold, no order.
    await db.models.Stock.updateOne({ productId, warehouse: 'ams-1' }, { $inc: { quantity: -3 }, $push: { holds: { orderId: new Types.ObjectId(), quantity: 3, at: new Date(0) } } });
    await db.models.Product.updateOne({ _id: productId }, { $set: { stockTotal: 7 } });
    const url = `/api/catalog/products/${productId}`;
    await catalogHttp().get(url).expect(200);
    const cached = await catalogHttp().get(url).expect(200);
    expect([cached.headers['x-cache'], cached.body.stockTotal]).toEqual(['HIT-FAST', 7]);

    expect(await orders.server.reconcile(0)).toMatchObject({ released: 1 });
    expect((await readWithin100ms(url, 10)).stockTotal).toBe(10);
  });
});
