import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mongoIdempotencyStore } from '../src/data-access/idempotency-store.ts';
import { mongoHoldStore, mongoOrderStore } from '../src/data-access/order-store.ts';
import { claimKey } from '../src/domain/idempotency.ts';
import { restock } from '../src/domain/order-lifecycle.ts';
import { placeOrder } from '../src/domain/place-order.ts';
import type { OrderStore } from '../src/domain/ports.ts';
import { reconcileHolds } from '../src/domain/reconcile.ts';
import { addProduct, startOrderForTest, sumStock, testDatabase, tokenFor, type OrderUnderTest, type TestDatabase } from './helpers.ts';

let db: TestDatabase;
let app: OrderUnderTest;
let store: OrderStore;
const noInvalidate = async (): Promise<void> => {};

beforeAll(async () => {
  db = await testDatabase();
  app = await startOrderForTest(db);
  store = mongoOrderStore(db.models);
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

describe('an order write whose reply is lost', () => {
  it('when the insert landed but the driver reported a timeout, then the holds stay and reconciliation keeps the units sold', async () => {
    const productId = await addProduct(db.models, { sku: 'LOST-REPLY', priceCents: 100, stock: { 'ams-1': 10 } });
    const timeout = Object.assign(new Error('connection timed out'), { name: 'MongoNetworkTimeoutError' });
    const flaky: OrderStore = {
      ...store,
      orders: {
        ...store.orders,
        create: async (order) => {
          await store.orders.create(order);
          throw timeout;
        },
      },
    };
    await expect(placeOrder(flaky, 'lost-reply', 'lost-reply:key:g1', [{ productId, quantity: 4 }], noInvalidate)).rejects.toBe(timeout);
    expect(await db.models.Order.countDocuments({ customerId: 'lost-reply' })).toBe(1);
    expect(await sumStock(db.models, productId)).toBe(6);
    const result = await reconcileHolds(mongoHoldStore(db.models), 0);
    expect(result).toEqual({ committed: 1, released: 0 });
    expect(await sumStock(db.models, productId)).toBe(6);
    expect((await db.models.Stock.find({ productId }).lean()).every((r) => r.holds.length === 0)).toBe(true);
    // The client's retry (same key, same generation) gets the order that exists.
    const again = await placeOrder(store, 'lost-reply', 'lost-reply:key:g1', [{ productId, quantity: 4 }], noInvalidate);
    expect(again.customerId).toBe('lost-reply');
    expect(await sumStock(db.models, productId)).toBe(6);
  });

  it('when the write certainly failed (validation), then the holds are released at once', async () => {
    const productId = await addProduct(db.models, { sku: 'BAD-WRITE', priceCents: 100, stock: { 'ams-1': 10 } });
    const invalid = Object.assign(new Error('bad document'), { name: 'ValidationError' });
    const broken: OrderStore = { ...store, orders: { ...store.orders, create: () => Promise.reject(invalid) } };
    await expect(placeOrder(broken, 'bad-write', 'bad-write:key:g1', [{ productId, quantity: 4 }], noInvalidate)).rejects.toBe(invalid);
    expect(await sumStock(db.models, productId)).toBe(10);
  });
});

describe('reconciliation and cancellation under repetition', () => {
  it('when two restock passes work from the same stale snapshot, then the units come back once', async () => {
    const productId = await addProduct(db.models, { sku: 'TWICE', priceCents: 100, stock: { 'ams-1': 10 } });
    const order = await placeOrder(store, 'twice', 'twice:key:g1', [{ productId, quantity: 3 }], noInvalidate);
    await db.models.Order.updateOne({ _id: order.id }, { $set: { status: 'cancelled' } });
    const snapshot = { ...order, status: 'cancelled' as const };
    await Promise.all([restock(store, snapshot, noInvalidate), restock(store, snapshot, noInvalidate)]);
    await restock(store, snapshot, noInvalidate);
    expect(await sumStock(db.models, productId)).toBe(10);
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(10);
  });
});

describe('idempotency keys over their lifetime', () => {
  it('when a key is reused after its retention with another body, then a new order is placed for the new body', async () => {
    const productId = await addProduct(db.models, { sku: 'REUSE', priceCents: 100, stock: { 'ams-1': 20 } });
    const token = await tokenFor('reuser');
    const send = (quantity: number) =>
      app.http().post('/api/orders').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', 'reused-key-1').send({ items: [{ productId, quantity }] });
    const first = await send(1).expect(201);
    await db.models.Idempotency.updateOne({ _id: 'reuser:reused-key-1' }, { $set: { expiresAt: new Date(Date.now() - 1_000) } });
    const second = await send(5).expect(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.lines[0].quantity).toBe(5);
    expect(await sumStock(db.models, productId)).toBe(14);
  });

  it('when a dead attempt is taken over, then the late answer of the first owner cannot overwrite the new owner’s', async () => {
    const keys = mongoIdempotencyStore(db.models);
    const policy = { retentionMs: 3_600_000, lockMs: 1 };
    const first = await claimKey(keys, 'owner-test:key-1', 'hash', policy);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await claimKey(keys, 'owner-test:key-1', 'hash', policy);
    if (first.kind !== 'run' || second.kind !== 'run') throw new Error('both claims should run');
    expect(second.generation).toBe(first.generation);
    await keys.finish('owner-test:key-1', second.owner, { status: 201, body: { ok: 'second' } });
    await keys.finish('owner-test:key-1', first.owner, { status: 409, body: { ok: 'first' } });
    await keys.remove('owner-test:key-1', first.owner);
    expect((await keys.find('owner-test:key-1'))?.response).toEqual({ status: 201, body: { ok: 'second' } });
  });

  it('when keys would collide across customers through a ":" then the key is refused', async () => {
    const res = await app
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${await tokenFor('a')}`)
      .set('Idempotency-Key', 'b:xxxxxxxx')
      .send({ items: [{ sku: 'REUSE', quantity: 1 }] })
      .expect(400);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
  });

  it('when an order id is reused by another customer’s generation id, then it is not handed over', async () => {
    const productId = await addProduct(db.models, { sku: 'NOT-YOURS', priceCents: 100, stock: { 'ams-1': 5 } });
    await placeOrder(store, 'owner-x', 'shared-id:g1', [{ productId, quantity: 1 }], noInvalidate);
    await expect(placeOrder(store, 'intruder', 'shared-id:g1', [{ productId, quantity: 1 }], noInvalidate)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });
});
