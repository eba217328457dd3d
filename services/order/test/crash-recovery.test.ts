import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { requestHash } from '../src/domain/idempotency.ts';
import { addProduct, spawnWorker, startOrderForTest, sumStock, testDatabase, tokenFor, type OrderUnderTest, type TestDatabase, type WorkerProcess } from './helpers.ts';

let db: TestDatabase;
let survivor: OrderUnderTest;
/** Workers spawned to die: killed here too, should a test fail before killing its own. */
const doomedWorkers: WorkerProcess[] = [];

beforeAll(async () => {
  db = await testDatabase();
  survivor = await startOrderForTest(db);
});

afterAll(async () => {
  await Promise.all(doomedWorkers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).map(kill));
  await survivor.stop();
  await db.drop();
});

/** Sends an order to a worker that will stop at its crash point; resolves with what came first. */
async function orderUntilCrashPoint(
  worker: WorkerProcess,
  customer: string,
  key: string,
  items: { productId: string; quantity: number }[],
): Promise<{ message: CrashPoint } | { answered: number }> {
  const message = once(worker.child, 'message').then(([m]) => ({ message: m as CrashPoint }));
  const answer = fetch(`${worker.base}/api/orders`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await tokenFor(customer)}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ items }),
  }).then(
    (res) => ({ answered: res.status }),
    () => new Promise<never>(() => {}), // the connection dies with the worker; the message decides
  );
  return Promise.race([message, answer]);
}

interface CrashPoint {
  took?: { productId: string; warehouse: string; quantity: number; orderId: string };
  committing?: { productId: string; warehouse: string; orderId: string };
}

async function spawnDoomed(mode: 'hang-mid-line' | 'hang-after-order'): Promise<WorkerProcess> {
  const worker = await spawnWorker(db, mode);
  doomedWorkers.push(worker);
  return worker;
}

async function kill(worker: WorkerProcess): Promise<void> {
  worker.child.kill('SIGKILL');
  await once(worker.child, 'exit');
}

const rowsOf = async (productId: string): Promise<Record<string, [number, number]>> =>
  Object.fromEntries((await db.models.Stock.find({ productId }).sort({ warehouse: 1 }).lean()).map((r) => [r.warehouse, [r.quantity, r.holds.length]]));

describe('a worker killed between reserve and order write', () => {
  it('when reconciliation runs after a worker died holding part of a multi-warehouse line, then the partial holds are released and the whole quantity can be sold', async () => {
    const productId = await addProduct(db.models, { sku: 'CRASH-1', priceCents: 900, stock: { 'ams-1': 12, 'fra-1': 8 } });
    // One order that completes normally, through the surviving worker.
    await survivor
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${await tokenFor('c-ok')}`)
      .set('Idempotency-Key', 'crash-test-ok-1')
      .send({ items: [{ productId, quantity: 3 }] })
      .expect(201);

    // 15 needs both rows (9 + 8 left): the worker dies after its first take.
    const doomed = await spawnDoomed('hang-mid-line');
    const first = await orderUntilCrashPoint(doomed, 'c-doomed', 'crash-test-doomed', [{ productId, quantity: 15 }]);
    expect(first).toEqual({ message: { took: { productId, warehouse: 'ams-1', quantity: 9, orderId: expect.any(String) } } });
    await kill(doomed);

    expect(await rowsOf(productId)).toEqual({ 'ams-1': [0, 1], 'fra-1': [8, 0] });
    const result = await survivor.server.reconcile(0);
    expect(result).toEqual({ committed: 0, released: 1 });
    const orders = await db.models.Order.find({ 'lines.productId': productId }).lean();
    const ordered = orders.reduce((sum, o) => sum + o.lines.reduce((s, l) => s + l.quantity, 0), 0);
    expect(ordered).toBe(3);
    expect(await rowsOf(productId)).toEqual({ 'ams-1': [9, 0], 'fra-1': [8, 0] });
    expect(await sumStock(db.models, productId)).toBe(20 - ordered);
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(20 - ordered);
    expect(await survivor.server.reconcile(0)).toEqual({ committed: 0, released: 0 });
    // The released units are sellable again, all 17 in one line.
    await survivor
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${await tokenFor('c-after')}`)
      .set('Idempotency-Key', 'crash-test-after-1')
      .send({ items: [{ productId, quantity: 17 }] })
      .expect(201);
    expect(await sumStock(db.models, productId)).toBe(0);
  }, 60_000);

});

describe('a worker killed after writing the order but before answering', () => {
  it('when reconciliation runs after a worker died between writing a multi-warehouse order and committing its holds, then every hold is committed and the units stay sold', async () => {
    const productId = await addProduct(db.models, { sku: 'CRASH-3', priceCents: 100, stock: { 'ams-1': 5, 'fra-1': 5 } });
    const doomed = await spawnDoomed('hang-after-order');
    const first = await orderUntilCrashPoint(doomed, 'c-written', 'crash-test-written', [{ productId, quantity: 7 }]);
    expect(first).toMatchObject({ message: { committing: { productId } } });
    await kill(doomed);

    const orderId = (first as { message: CrashPoint }).message.committing!.orderId;
    const written = await db.models.Order.findById(orderId).lean();
    expect(written?.lines[0]?.allocations).toEqual([
      { warehouse: 'ams-1', quantity: 5 },
      { warehouse: 'fra-1', quantity: 2 },
    ]);
    expect(await rowsOf(productId)).toEqual({ 'ams-1': [0, 1], 'fra-1': [3, 1] });
    expect(await survivor.server.reconcile(0)).toEqual({ committed: 2, released: 0 });
    expect(await rowsOf(productId)).toEqual({ 'ams-1': [0, 0], 'fra-1': [3, 0] });
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(3);
    expect(await survivor.server.reconcile(0)).toEqual({ committed: 0, released: 0 });
  }, 60_000);

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
    // Written before lines recorded allocations: read as one allocation from its warehouse.
    expect(retry.body.lines[0].allocations).toEqual([{ warehouse: 'ams-1', quantity: 2 }]);
    expect(await db.models.Order.countDocuments({ customerId: 'c-retry' })).toBe(1);
    expect(await sumStock(db.models, productId)).toBe(3);
  });
});

describe('a hold on a row its order does not name', () => {
  it('when an order exists but a hold of it sits on a row its lines do not name, then reconciliation commits the named hold and gives the other back', async () => {
    const productId = await addProduct(db.models, { sku: 'CRASH-4', priceCents: 100, stock: { 'ams-1': 10, 'fra-1': 10 } });
    const orderId = new Types.ObjectId();
    const at = new Date(Date.now() - 1_000);
    await db.models.Stock.updateOne({ productId, warehouse: 'ams-1' }, { $inc: { quantity: -3 }, $push: { holds: { orderId, quantity: 3, at } } });
    await db.models.Stock.updateOne({ productId, warehouse: 'fra-1' }, { $inc: { quantity: -2 }, $push: { holds: { orderId, quantity: 2, at } } });
    // Written with the driver: the order as the service writes it, with where its units came from.
    await db.models.Order.collection.insertOne({
      _id: orderId,
      customerId: 'c-stray',
      idempotencyId: 'c-stray:crash-test-stray:g1',
      status: 'pending',
      paymentStatus: 'unpaid',
      lines: [{ productId: new Types.ObjectId(productId), sku: 'CRASH-4', name: 'x', quantity: 3, unitPriceCents: 100, lineTotalCents: 300, allocations: [{ warehouse: 'ams-1', quantity: 3 }], restocked: false }],
      totalCents: 300,
      currency: 'USD',
      createdAt: at,
      updatedAt: at,
    });
    expect(await survivor.server.reconcile(0)).toEqual({ committed: 1, released: 1 });
    expect(await rowsOf(productId)).toEqual({ 'ams-1': [7, 0], 'fra-1': [10, 0] });
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(17);
  });
});
