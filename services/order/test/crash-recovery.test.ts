import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { requestHash } from '../src/domain/idempotency.ts';
import { addProduct, spawnWorker, startOrderForTest, sumStock, testDatabase, tokenFor, type OrderUnderTest, type TestDatabase } from './helpers.ts';

let db: TestDatabase;
let survivor: OrderUnderTest;

beforeAll(async () => {
  db = await testDatabase();
  survivor = await startOrderForTest(db);
});

afterAll(async () => {
  await survivor.stop();
  await db.drop();
});

describe('a worker killed between reserve and order write', () => {
  it('when reconciliation runs, then stock equals its start minus the orders that exist', async () => {
    const productId = await addProduct(db.models, { sku: 'CRASH-1', priceCents: 900, stock: { 'ams-1': 20 } });
    // One order that completes normally, through the surviving worker.
    await survivor
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${await tokenFor('c-ok')}`)
      .set('Idempotency-Key', 'crash-test-ok-1')
      .send({ items: [{ productId, quantity: 3 }] })
      .expect(201);

    const doomed = await spawnWorker(db, 'hang-after-reserve');
    const reserved = once(doomed.child, 'message');
    const pending = fetch(`${doomed.base}/api/orders`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await tokenFor('c-doomed')}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'crash-test-doomed' },
      body: JSON.stringify({ items: [{ productId, quantity: 5 }] }),
    }).catch((error: unknown) => error);
    const [message] = (await reserved) as [{ reserved?: { quantity: number } }];
    expect(message.reserved?.quantity).toBe(5);
    doomed.child.kill('SIGKILL');
    await once(doomed.child, 'exit');
    await pending;

    expect(await sumStock(db.models, productId)).toBe(20 - 3 - 5);
    const result = await survivor.server.reconcile(0);
    expect(result).toEqual({ committed: 0, released: 1 });
    const orders = await db.models.Order.find({ 'lines.productId': productId }).lean();
    const ordered = orders.reduce((sum, o) => sum + o.lines.reduce((s, l) => s + l.quantity, 0), 0);
    expect(ordered).toBe(3);
    expect(await sumStock(db.models, productId)).toBe(20 - ordered);
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(20 - ordered);
    expect(await survivor.server.reconcile(0)).toEqual({ committed: 0, released: 0 });
  }, 60_000);
});

describe('a worker killed after writing the order but before answering', () => {
  it('when the client retries with its key after the lock lapsed, then it gets that order, not a second one', async () => {
    const productId = await addProduct(db.models, { sku: 'CRASH-2', priceCents: 100, stock: { 'ams-1': 5 } });
    const body = { items: [{ sku: 'CRASH-2', quantity: 2 }] };
    const generation = 'generation-1';
    const idempotencyId = `c-retry:crash-test-retry:${generation}`;
    // The state such a crash leaves: the order and its decrement exist, the key is still "running".
    const orderId = new Types.ObjectId();
    await db.models.Stock.updateOne({ productId }, { $inc: { quantity: -2 } });
    await db.models.Order.create({
      _id: orderId,
      customerId: 'c-retry',
      idempotencyId,
      status: 'pending',
      paymentStatus: 'unpaid',
      lines: [{ productId, sku: 'CRASH-2', name: 'x', quantity: 2, unitPriceCents: 100, lineTotalCents: 200, warehouse: 'ams-1' }],
      totalCents: 200,
      currency: 'USD',
    });
    await db.models.Idempotency.create({
      _id: 'c-retry:crash-test-retry',
      requestHash: requestHash(body),
      owner: 'dead-attempt',
      generation,
      state: 'running',
      lockedUntil: new Date(Date.now() - 1_000),
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const retry = await survivor
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${await tokenFor('c-retry')}`)
      .set('Idempotency-Key', 'crash-test-retry')
      .send(body)
      .expect(201);
    expect(retry.body.id).toBe(orderId.toHexString());
    expect(await db.models.Order.countDocuments({ customerId: 'c-retry' })).toBe(1);
    expect(await sumStock(db.models, productId)).toBe(3);
  });
});
