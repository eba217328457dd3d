import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { mongoOrderStore } from '../src/data-access/order-store.ts';
import { placeOrder } from '../src/domain/place-order.ts';
import type { OrderStore } from '../src/domain/ports.ts';
import { addProduct, startOrderForTest, sumStock, testDatabase, tokenFor, type OrderUnderTest, type TestDatabase } from './helpers.ts';

let db: TestDatabase;
let app: OrderUnderTest;
let store: OrderStore;
let alice: string;
let seq = 0;
const noInvalidate = async (): Promise<void> => {};

beforeAll(async () => {
  db = await testDatabase();
  app = await startOrderForTest(db);
  store = mongoOrderStore(db.models);
  alice = await tokenFor('alice');
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

const order = (productId: string, quantity: number) =>
  app
    .http()
    .post('/api/orders')
    .set('Authorization', `Bearer ${alice}`)
    .set('Idempotency-Key', `split-${process.pid}-${seq++}`)
    .send({ items: [{ productId, quantity }] });

const rows = async (productId: string): Promise<Record<string, number>> =>
  Object.fromEntries((await db.models.Stock.find({ productId }).sort({ warehouse: 1 }).lean()).map((r) => [r.warehouse, r.quantity]));

const holdCount = async (productId: string): Promise<number> =>
  (await db.models.Stock.find({ productId }).lean()).reduce((sum, r) => sum + r.holds.length, 0);

const stockTotal = async (productId: string): Promise<number | undefined> => (await db.models.Product.findById(productId).lean())?.stockTotal;

describe('a line served from several warehouses', () => {
  it('when 27 are in ams-1 and 8 in fra-1 and a customer orders 35, then 201, both rows and stockTotal end at 0, and one more unit is 409 OUT_OF_STOCK', async () => {
    const productId = await addProduct(db.models, { sku: 'SHELF-35', priceCents: 200, stock: { 'ams-1': 27, 'fra-1': 8 } });
    expect(await stockTotal(productId)).toBe(35);
    const res = await order(productId, 35);
    expect(res.status).toBe(201);
    expect(res.body.lines).toEqual([
      expect.objectContaining({ sku: 'SHELF-35', quantity: 35, lineTotalCents: 7_000, allocations: [{ warehouse: 'ams-1', quantity: 27 }, { warehouse: 'fra-1', quantity: 8 }] }),
    ]);
    expect(await rows(productId)).toEqual({ 'ams-1': 0, 'fra-1': 0 });
    expect(await holdCount(productId)).toBe(0);
    expect(await stockTotal(productId)).toBe(0);
    const more = await order(productId, 1).expect(409);
    expect(more.body.error).toMatchObject({ code: 'OUT_OF_STOCK', details: { sku: 'SHELF-35', requested: 1 } });
    expect(await rows(productId)).toEqual({ 'ams-1': 0, 'fra-1': 0 });
  });

  it('when 28 of 27 + 8 are ordered, then 27 come from ams-1 and 1 from fra-1; 8 more are refused and the remaining 7 can be bought', async () => {
    const productId = await addProduct(db.models, { sku: 'SHELF-28', priceCents: 200, stock: { 'ams-1': 27, 'fra-1': 8 } });
    const res = await order(productId, 28).expect(201);
    expect(res.body.lines[0].allocations).toEqual([{ warehouse: 'ams-1', quantity: 27 }, { warehouse: 'fra-1', quantity: 1 }]);
    expect(await rows(productId)).toEqual({ 'ams-1': 0, 'fra-1': 7 });
    expect(await stockTotal(productId)).toBe(7);
    await order(productId, 8).expect(409);
    expect(await rows(productId)).toEqual({ 'ams-1': 0, 'fra-1': 7 });
    const rest = await order(productId, 7).expect(201);
    expect(rest.body.lines[0].allocations).toEqual([{ warehouse: 'fra-1', quantity: 7 }]);
    expect(await sumStock(db.models, productId)).toBe(0);
    expect(await holdCount(productId)).toBe(0);
  });

  it('when a line needs all three warehouses, then it takes the fullest first and records each', async () => {
    const productId = await addProduct(db.models, { sku: 'SHELF-3W', priceCents: 100, stock: { 'ams-1': 4, 'fra-1': 9, 'waw-1': 2 } });
    const res = await order(productId, 14).expect(201);
    expect(res.body.lines[0].allocations).toEqual([
      { warehouse: 'fra-1', quantity: 9 },
      { warehouse: 'ams-1', quantity: 4 },
      { warehouse: 'waw-1', quantity: 1 },
    ]);
    expect(await rows(productId)).toEqual({ 'ams-1': 0, 'fra-1': 0, 'waw-1': 1 });
    expect(await stockTotal(productId)).toBe(1);
  });
});

/** The real store, with a rival buyer who takes `units` from `warehouse` just before this order's take there. */
function withRival(warehouse: string, units: number): { store: OrderStore; rivalRan: () => boolean } {
  let ran = false;
  const real = store.stock;
  const rivalFirst = async (productId: string, at: string): Promise<void> => {
    if (ran || at !== warehouse) return;
    ran = true;
    await db.models.Stock.updateOne({ productId: new Types.ObjectId(productId), warehouse: at }, { $inc: { quantity: -units } });
  };
  return {
    rivalRan: () => ran,
    store: {
      ...store,
      stock: {
        ...real,
        async take(productId, at, quantity, orderId) {
          await rivalFirst(productId, at);
          return real.take(productId, at, quantity, orderId);
        },
      },
    },
  };
}

describe('a multi-warehouse line under contention', () => {
  it('when a rival empties part of the second warehouse between the read and the take, then the line is completed from the others with fresh reads', async () => {
    const productId = await addProduct(db.models, { sku: 'RIVAL-OK', priceCents: 100, stock: { 'ams-1': 5, 'fra-1': 3, 'waw-1': 2 } });
    const { store: contended, rivalRan } = withRival('fra-1', 1);
    const placed = await placeOrder(contended, 'rival-ok', 'rival-ok:key:g1', [{ productId, quantity: 9 }], noInvalidate);
    expect(rivalRan()).toBe(true);
    expect(placed.lines[0]!.allocations).toEqual([
      { warehouse: 'ams-1', quantity: 5 },
      { warehouse: 'fra-1', quantity: 2 },
      { warehouse: 'waw-1', quantity: 2 },
    ]);
    expect(await rows(productId)).toEqual({ 'ams-1': 0, 'fra-1': 0, 'waw-1': 0 });
    expect(await holdCount(productId)).toBe(0);
  });

  it('when a rival takes units the line needed and nothing else is left, then 409 and the holds already taken are released', async () => {
    const productId = await addProduct(db.models, { sku: 'RIVAL-OUT', priceCents: 100, stock: { 'ams-1': 5, 'fra-1': 3 } });
    const { store: contended, rivalRan } = withRival('fra-1', 1);
    await expect(placeOrder(contended, 'rival-out', 'rival-out:key:g1', [{ productId, quantity: 8 }], noInvalidate)).rejects.toMatchObject({
      code: 'OUT_OF_STOCK',
    });
    expect(rivalRan()).toBe(true);
    expect(await rows(productId)).toEqual({ 'ams-1': 5, 'fra-1': 2 });
    expect(await holdCount(productId)).toBe(0);
    expect(await db.models.Order.countDocuments({ customerId: 'rival-out' })).toBe(0);
  });

  it('when the second line of an order cannot be completed, then every hold of the first line and of the second is released', async () => {
    const first = await addProduct(db.models, { sku: 'TWO-A', priceCents: 100, stock: { 'ams-1': 3, 'waw-1': 3 } });
    const second = await addProduct(db.models, { sku: 'TWO-B', priceCents: 100, stock: { 'ams-1': 4, 'fra-1': 2 } });
    const { store: contended, rivalRan } = withRival('fra-1', 1);
    await expect(
      placeOrder(contended, 'two-lines', 'two-lines:key:g1', [{ productId: first, quantity: 5 }, { productId: second, quantity: 6 }], noInvalidate),
    ).rejects.toMatchObject({ code: 'OUT_OF_STOCK', details: { sku: 'TWO-B', requested: 6 } });
    expect(rivalRan()).toBe(true);
    expect(await rows(first)).toEqual({ 'ams-1': 3, 'waw-1': 3 });
    expect(await rows(second)).toEqual({ 'ams-1': 4, 'fra-1': 1 });
    expect((await holdCount(first)) + (await holdCount(second))).toBe(0);
    expect(await db.models.Order.countDocuments({ customerId: 'two-lines' })).toBe(0);
  });
});

describe('a row that gets units back while a line is being held', () => {
  it('when a row this order already drained gets a unit back mid-line, then its hold there grows, and releasing it gives every unit back', async () => {
    const productId = await addProduct(db.models, { sku: 'TOPUP-1', priceCents: 100, stock: { 'ams-1': 4, 'fra-1': 3 } });
    const other = await addProduct(db.models, { sku: 'TOPUP-2', priceCents: 100, stock: { 'ams-1': 1 } });
    const holdsSeen: number[] = [];
    let first = true;
    const contended: OrderStore = {
      ...store,
      stock: {
        ...store.stock,
        async take(id, warehouse, quantity, orderId) {
          const took = await store.stock.take(id, warehouse, quantity, orderId);
          if (first && took) {
            first = false;
            // A cancellation returns a unit to ams-1 (drained by this take) and a rival buys one from fra-1.
            await db.models.Stock.updateOne({ productId: new Types.ObjectId(productId), warehouse: 'ams-1' }, { $inc: { quantity: 1 } });
            await db.models.Stock.updateOne({ productId: new Types.ObjectId(productId), warehouse: 'fra-1' }, { $inc: { quantity: -1 } });
          }
          return took;
        },
        async releaseAll(id, orderId) {
          if (id === productId) holdsSeen.push(...(await db.models.Stock.find({ productId: id }).sort({ warehouse: 1 }).lean()).map((r) => r.holds.length));
          return store.stock.releaseAll(id, orderId);
        },
      },
    };
    // The second line cannot be served, so the first line's holds are released after it was completed.
    await expect(
      placeOrder(contended, 'topup', 'topup:key:g1', [{ productId, quantity: 7 }, { productId: other, quantity: 2 }], noInvalidate),
    ).rejects.toMatchObject({ code: 'OUT_OF_STOCK', details: { sku: 'TOPUP-2' } });
    // ams-1 held 4 + 1 in one hold, fra-1 held 2.
    expect(holdsSeen.slice(0, 2)).toEqual([1, 1]);
    expect(await rows(productId)).toEqual({ 'ams-1': 5, 'fra-1': 2 });
    expect(await holdCount(productId)).toBe(0);
    // And when it can be completed, the line records the grown hold as one allocation.
    const placed = await placeOrder(store, 'topup', 'topup:key:g2', [{ productId, quantity: 7 }], noInvalidate);
    expect(placed.lines[0]!.allocations).toEqual([
      { warehouse: 'ams-1', quantity: 5 },
      { warehouse: 'fra-1', quantity: 2 },
    ]);
  });
});

describe('a multi-warehouse line and orders still in flight', () => {
  /** A hold of another order being placed: its units leave the row and are recorded for it in one write. */
  const holdFor = async (productId: string, warehouse: string, quantity: number, orderId: string): Promise<boolean> => {
    const taken = await db.models.Stock.updateOne(
      { productId: new Types.ObjectId(productId), warehouse, quantity: { $gte: quantity } },
      { $inc: { quantity: -quantity }, $push: { holds: { orderId: new Types.ObjectId(orderId), quantity, at: new Date() } } },
    );
    return taken.modifiedCount === 1;
  };

  async function until(check: () => Promise<boolean>, withinMs: number): Promise<number> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return Date.now() - started;
  }

  it('when units the line needs are held by an order in flight that then fails, then the line waits for them instead of answering 409', async () => {
    const productId = await addProduct(db.models, { sku: 'INFLIGHT-1', priceCents: 100, stock: { 'ams-1': 4, 'fra-1': 4 } });
    const other = new Types.ObjectId().toHexString();
    expect(await holdFor(productId, 'fra-1', 4, other)).toBe(true);
    const placing = placeOrder(store, 'waiter', 'waiter:key:g1', [{ productId, quantity: 6 }], noInvalidate);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.stock.release(productId, 'fra-1', other);
    const placed = await placing;
    expect(placed.lines[0]!.allocations).toEqual([
      { warehouse: 'ams-1', quantity: 4 },
      { warehouse: 'fra-1', quantity: 2 },
    ]);
    expect(await rows(productId)).toEqual({ 'ams-1': 0, 'fra-1': 2 });
  });

  it('when this order holds part of a line and an older order in flight holds the rest, then it gives its part back at once so the older one can finish', async () => {
    const productId = await addProduct(db.models, { sku: 'INFLIGHT-2', priceCents: 100, stock: { 'ams-1': 4, 'fra-1': 4 } });
    const older = new Types.ObjectId().toHexString();
    // The older order takes fra-1 right after this order's first take (on ams-1): both hold 4 and need 6.
    let raced = false;
    const contended: OrderStore = {
      ...store,
      stock: {
        ...store.stock,
        async take(id, warehouse, quantity, orderId) {
          const took = await store.stock.take(id, warehouse, quantity, orderId);
          if (!raced && took) {
            raced = true;
            expect(await holdFor(productId, 'fra-1', 4, older)).toBe(true);
          }
          return took;
        },
      },
    };
    const placing = placeOrder(contended, 'younger', 'younger:key:g1', [{ productId, quantity: 6 }], noInvalidate).catch((error: unknown) => error);
    const ms = await until(async () => raced && (await rows(productId))['ams-1'] === 4, 1_000);
    console.log(`[orders] the younger order gave its 4 units back after ${ms} ms`);
    // The older order completes with them; the younger is then refused.
    expect(await holdFor(productId, 'ams-1', 2, older)).toBe(true);
    await Promise.all(['ams-1', 'fra-1'].map((w) => store.stock.commit(productId, w, older)));
    expect(await placing).toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(await rows(productId)).toEqual({ 'ams-1': 2, 'fra-1': 0 });
    expect(await holdCount(productId)).toBe(0);
  });
});

describe('a retry of the same generation (same order id) after its attempt failed', () => {
  const holdsOf = async (productId: string): Promise<number> =>
    (await db.models.Stock.find({ productId }).lean()).reduce((n, row) => n + row.holds.length, 0);

  it('when the attempt died mid-line holding part of it, then the retry gives that part back, reserves afresh and the units leave once', async () => {
    const productId = await addProduct(db.models, { sku: 'RESUME-PART', priceCents: 100, stock: { 'ams-1': 3, 'fra-1': 3 } });
    const orderId = new Types.ObjectId().toHexString();
    expect(await store.stock.take(productId, 'ams-1', 3, orderId)).toBe(true); // the dead attempt's first take
    const order = await placeOrder(store, 'resume-part', 'resume-part:key:g1', [{ productId, quantity: 5 }], noInvalidate, { orderId });
    expect(order.id).toBe(orderId);
    expect(order.lines[0]!.allocations.reduce((n, a) => n + a.quantity, 0)).toBe(5);
    expect(await sumStock(db.models, productId)).toBe(1);
    expect(await holdsOf(productId)).toBe(0);
  });

  it('when the attempt held every unit and its order write failed, then the retry writes the order with those holds', async () => {
    const productId = await addProduct(db.models, { sku: 'RESUME-ALL', priceCents: 100, stock: { 'ams-1': 3, 'fra-1': 3 } });
    const orderId = new Types.ObjectId().toHexString();
    expect(await store.stock.take(productId, 'ams-1', 3, orderId)).toBe(true);
    expect(await store.stock.take(productId, 'fra-1', 2, orderId)).toBe(true);
    const order = await placeOrder(store, 'resume-all', 'resume-all:key:g1', [{ productId, quantity: 5 }], noInvalidate, { orderId });
    expect(order.lines[0]!.allocations).toEqual([
      { warehouse: 'ams-1', quantity: 3 },
      { warehouse: 'fra-1', quantity: 2 },
    ]);
    expect(await sumStock(db.models, productId)).toBe(1);
    expect(await holdsOf(productId)).toBe(0);
  });

  it('when the attempt’s complete holds are older than the write deadline, then the retry gives them back and reserves afresh (reconciliation may be releasing them)', async () => {
    const productId = await addProduct(db.models, { sku: 'RESUME-OLD', priceCents: 100, stock: { 'ams-1': 2, 'fra-1': 4 } });
    const orderId = new Types.ObjectId().toHexString();
    // The old attempt took ams-1 2 + fra-1 3; afresh, fullest first takes fra-1 4 + ams-1 1.
    expect(await store.stock.take(productId, 'ams-1', 2, orderId)).toBe(true);
    expect(await store.stock.take(productId, 'fra-1', 3, orderId)).toBe(true);
    await db.models.Stock.updateMany({ productId }, { $set: { 'holds.$[].at': new Date(Date.now() - 45_000) } });
    const order = await placeOrder(store, 'resume-old', 'resume-old:key:g1', [{ productId, quantity: 5 }], noInvalidate, { orderId, writeDeadlineMs: 30_000 });
    expect(order.id).toBe(orderId);
    expect(order.lines[0]!.allocations).toEqual([
      { warehouse: 'fra-1', quantity: 4 },
      { warehouse: 'ams-1', quantity: 1 },
    ]);
    expect(await holdsOf(productId)).toBe(0);
    expect(await sumStock(db.models, productId)).toBe(1);
  });
});
