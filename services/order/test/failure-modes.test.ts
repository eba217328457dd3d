import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Test } from 'supertest';
import { mongoIdempotencyStore } from '../src/data-access/idempotency-store.ts';
import { mongoOrderStore } from '../src/data-access/order-store.ts';
import { claimKey } from '../src/domain/idempotency.ts';
import { restock } from '../src/domain/order-lifecycle.ts';
import { placeOrder } from '../src/domain/place-order.ts';
import type { OrderStore } from '../src/domain/ports.ts';
import { addProduct, startOrderForTest, sumStock, testDatabase, tokenFor, type OrderUnderTest, type TestDatabase } from './helpers.ts';
import { answerOf, describeAnswers, sendUntilFinal, type Answer } from './support/retrying-client.ts';
import { startWireProxy, targetOf, uriThrough, type WireProxy } from './support/wire-proxy.ts';

let db: TestDatabase;
let app: OrderUnderTest;
let store: OrderStore;
/** A second instance of the service whose database traffic goes through `proxy`. */
let proxied: OrderUnderTest;
let proxy: WireProxy;
const noInvalidate = async (): Promise<void> => {};

beforeAll(async () => {
  db = await testDatabase();
  app = await startOrderForTest(db);
  store = mongoOrderStore(db.models);
  proxy = await startWireProxy(targetOf(db.uri));
  proxied = await startOrderForTest(db, { MONGODB_URI: uriThrough(db.uri, proxy.port) });
});

afterAll(async () => {
  await proxied.stop();
  await proxy.close();
  await app.stop();
  await db.drop();
});

/** The client's request: POST /api/orders through the proxied service, same key and body every time. */
async function checkout(customer: string, key: string, body: object): Promise<() => Test> {
  const token = await tokenFor(customer);
  return () => proxied.http().post('/api/orders').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body);
}

const ordersOf = (customerId: string) => db.models.Order.find({ customerId }).lean();

const report = (what: string, answers: Answer[], orders: number, before: number, after: number): void => {
  console.log(`${what}: ${describeAnswers(answers)}; orders stored: ${orders}; stock ${before} → ${after} (${before - after} moved)`);
};

describe('a checkout whose database reply is lost (a TCP proxy between the service and the database drops it)', () => {
  it('when the order insert lands but its reply is lost, then the retry with the same key gets that order and the units leave stock once', async () => {
    const productId = await addProduct(db.models, { sku: 'LOST-ORDER-REPLY', priceCents: 100, stock: { 'ams-1': 10 } });
    const send = await checkout('lost-order-reply', 'lost-order-reply-1', { items: [{ productId, quantity: 4 }] });
    const lost = proxy.loseNextReply('insert', 'orders');
    const first = answerOf(await send());
    await lost;
    const answers = [first, ...(await sendUntilFinal(send))];
    const orders = await ordersOf('lost-order-reply');
    report('order insert reply lost', answers, orders.length, 10, await sumStock(db.models, productId));

    expect(first).toMatchObject({ status: 503, code: 'DEPENDENCY_UNAVAILABLE' });
    expect(orders).toHaveLength(1);
    const final = answers.at(-1)!;
    expect(final).toMatchObject({ status: 201, body: { id: orders[0]!._id.toHexString() } });
    for (const between of answers.slice(1, -1)) expect(between).toMatchObject({ status: 409, code: 'IDEMPOTENCY_IN_PROGRESS', retryAfter: expect.any(String) });
    // The retry that found the order settled it: the lost attempt's holds are committed and the
    // total is right at once, not after reconciliation's 60 s.
    const rows = await db.models.Stock.find({ productId }).lean();
    expect(rows.map((r) => [r.quantity, r.holds.length])).toEqual([[6, 0]]);
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(6);
    expect(await app.server.reconcile(0)).toMatchObject({ committed: 0, released: 0 });
    expect(await sumStock(db.models, productId)).toBe(6);
    expect(answerOf(await send())).toMatchObject({ status: 201, replayed: true, body: { id: final.body.id } });
  });

  it('when the order insert never reaches the database, then the retry places the order with the units the first attempt holds, not against them', async () => {
    // 5 units, 4 ordered: the first attempt's holds leave 1 on the shelf, so a retry that competed
    // with them would be refused (and that refusal replayed for 24 h) while they wait for reconciliation.
    const productId = await addProduct(db.models, { sku: 'CUT-ORDER', priceCents: 100, stock: { 'ams-1': 3, 'fra-1': 2 } });
    const send = await checkout('cut-order', 'cut-order-1', { items: [{ productId, quantity: 4 }] });
    const cut = proxy.cutNextRequest('insert', 'orders');
    const first = answerOf(await send());
    await cut;
    const answers = [first, ...(await sendUntilFinal(send))];
    const orders = await ordersOf('cut-order');
    report('order insert cut', answers, orders.length, 5, await sumStock(db.models, productId));

    expect(first).toMatchObject({ status: 503 });
    expect(orders).toHaveLength(1);
    expect(answers.at(-1)).toMatchObject({ status: 201, body: { id: orders[0]!._id.toHexString() } });
    const rows = await db.models.Stock.find({ productId }).sort({ warehouse: 1 }).lean();
    expect(rows.map((r) => [r.warehouse, r.quantity, r.holds.length])).toEqual([
      ['ams-1', 0, 0],
      ['fra-1', 1, 0],
    ]);
    expect(await app.server.reconcile(0)).toMatchObject({ committed: 0, released: 0 });
    expect(await sumStock(db.models, productId)).toBe(1);
  });

  it('when the idempotency record’s finish lands but its reply is lost, then the client and its retry get the one order', async () => {
    const productId = await addProduct(db.models, { sku: 'LOST-FINISH-REPLY', priceCents: 100, stock: { 'ams-1': 10 } });
    const send = await checkout('lost-finish-reply', 'lost-finish-reply-1', { items: [{ productId, quantity: 3 }] });
    const lost = proxy.loseNextReply('update', 'idempotency_keys');
    const first = answerOf(await send());
    await lost;
    const answers = [first, ...(await sendUntilFinal(send))];
    const orders = await ordersOf('lost-finish-reply');
    report('finish reply lost', answers, orders.length, 10, await sumStock(db.models, productId));

    expect(orders).toHaveLength(1);
    const id = orders[0]!._id.toHexString();
    expect(first).toMatchObject({ status: 201, body: { id } });
    expect(answers.at(-1)).toMatchObject({ status: 201, replayed: true, body: { id } });
    expect(await sumStock(db.models, productId)).toBe(7);
  });

  it('when the finish write never reaches the database, then the retry takes the key over and gets the one order', async () => {
    const productId = await addProduct(db.models, { sku: 'CUT-FINISH', priceCents: 100, stock: { 'ams-1': 10 } });
    const send = await checkout('cut-finish', 'cut-finish-1', { items: [{ productId, quantity: 2 }] });
    const cut = proxy.cutNextRequest('update', 'idempotency_keys');
    const first = answerOf(await send());
    await cut;
    const answers = [first, ...(await sendUntilFinal(send))];
    const orders = await ordersOf('cut-finish');
    report('finish write cut', answers, orders.length, 10, await sumStock(db.models, productId));

    expect(orders).toHaveLength(1);
    const id = orders[0]!._id.toHexString();
    expect(first).toMatchObject({ status: 201, body: { id } });
    expect(answers.at(-1)).toMatchObject({ status: 201, body: { id } });
    expect(await sumStock(db.models, productId)).toBe(8);
    expect(await db.models.Idempotency.findById('cut-finish:cut-finish-1').lean()).toMatchObject({ state: 'done', responseStatus: 201 });
  });

  it('when the claim’s insert lands but its reply is lost, then the retry takes the key over at once and one order is placed', async () => {
    const productId = await addProduct(db.models, { sku: 'LOST-CLAIM-REPLY', priceCents: 100, stock: { 'ams-1': 10 } });
    const send = await checkout('lost-claim-reply', 'lost-claim-reply-1', { items: [{ productId, quantity: 5 }] });
    const lost = proxy.loseNextReply('insert', 'idempotency_keys');
    const first = answerOf(await send());
    await lost;
    const retry = answerOf(await send());
    const orders = await ordersOf('lost-claim-reply');
    report('claim reply lost', [first, retry], orders.length, 10, await sumStock(db.models, productId));

    expect(first).toMatchObject({ status: 503, code: 'DEPENDENCY_UNAVAILABLE' });
    expect(retry).toMatchObject({ status: 201 });
    expect(orders).toHaveLength(1);
    expect(retry.body.id).toBe(orders[0]!._id.toHexString());
    expect(await sumStock(db.models, productId)).toBe(5);
  });

  it('when recording a refusal loses its reply, then the client still gets the refusal and the retry replays it', async () => {
    const productId = await addProduct(db.models, { sku: 'LOST-REFUSAL-REPLY', priceCents: 100, stock: { 'ams-1': 1 } });
    const send = await checkout('lost-refusal-reply', 'lost-refusal-reply-1', { items: [{ productId, quantity: 2 }] });
    const lost = proxy.loseNextReply('update', 'idempotency_keys');
    const first = answerOf(await send());
    await lost;
    const answers = [first, ...(await sendUntilFinal(send))];
    const orders = await ordersOf('lost-refusal-reply');
    report('refusal record reply lost', answers, orders.length, 1, await sumStock(db.models, productId));

    expect(first).toMatchObject({ status: 409, code: 'OUT_OF_STOCK' });
    expect(answers.at(-1)).toMatchObject({ status: 409, code: 'OUT_OF_STOCK', replayed: true });
    expect(orders).toHaveLength(0);
    expect(await sumStock(db.models, productId)).toBe(1);
  });
});

describe('an order write that fails', () => {
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
    await keys.unlock('owner-test:key-1', first.owner);
    expect(await keys.find('owner-test:key-1')).toMatchObject({ owner: second.owner, state: 'done', response: { status: 201, body: { ok: 'second' } } });
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
