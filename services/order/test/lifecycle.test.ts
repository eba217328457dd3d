import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { addProduct, startOrderForTest, sumStock, testDatabase, tokenFor, type OrderUnderTest, type TestDatabase } from './helpers.ts';

let db: TestDatabase;
let app: OrderUnderTest;
let alice: string;
let bob: string;
let admin: string;
let seq = 0;

beforeAll(async () => {
  db = await testDatabase();
  app = await startOrderForTest(db);
  [alice, bob, admin] = await Promise.all([tokenFor('alice'), tokenFor('bob'), tokenFor('root', 'admin')]);
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

async function placed(token: string, productId: string, quantity: number): Promise<string> {
  const res = await app
    .http()
    .post('/api/orders')
    .set('Authorization', `Bearer ${token}`)
    .set('Idempotency-Key', `life-${process.pid}-${seq++}`)
    .send({ items: [{ productId, quantity }] })
    .expect(201);
  return res.body.id;
}

const as = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('status transitions', () => {
  it('when an admin moves an order pending → paid → shipped → delivered, then each step is accepted in order only', async () => {
    const productId = await addProduct(db.models, { sku: 'LIFE-1', priceCents: 100, stock: { 'ams-1': 10 } });
    const id = await placed(alice, productId, 1);
    await app.http().patch(`/api/orders/${id}/status`).set(as(admin)).send({ status: 'shipped' }).expect(409);
    const paid = await app.http().patch(`/api/orders/${id}/status`).set(as(admin)).send({ status: 'paid' }).expect(200);
    expect(paid.body).toMatchObject({ status: 'paid', paymentStatus: 'paid' });
    await app.http().patch(`/api/orders/${id}/status`).set(as(admin)).send({ status: 'shipped' }).expect(200);
    const delivered = await app.http().patch(`/api/orders/${id}/status`).set(as(admin)).send({ status: 'delivered' }).expect(200);
    expect(delivered.body.status).toBe('delivered');
    const back = await app.http().patch(`/api/orders/${id}/status`).set(as(admin)).send({ status: 'paid' }).expect(409);
    expect(back.body.error).toMatchObject({ code: 'INVALID_TRANSITION', details: { from: 'delivered', to: 'paid' } });
    await app.http().post(`/api/orders/${id}/cancel`).set(as(admin)).expect(409);
  });

  it('when a customer tries to move an order, then 403', async () => {
    const productId = await addProduct(db.models, { sku: 'LIFE-2', priceCents: 100, stock: { 'ams-1': 10 } });
    const id = await placed(alice, productId, 1);
    await app.http().patch(`/api/orders/${id}/status`).set(as(alice)).send({ status: 'paid' }).expect(403);
  });
});

describe('cancellation', () => {
  it('when a customer cancels their pending order, then the stock comes back once, and a second cancel is refused', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-1', priceCents: 100, stock: { 'ams-1': 10 } });
    const id = await placed(alice, productId, 4);
    expect(await sumStock(db.models, productId)).toBe(6);
    const res = await app.http().post(`/api/orders/${id}/cancel`).set(as(alice)).expect(200);
    expect(res.body.status).toBe('cancelled');
    expect(res.body.lines.every((l: { restocked: boolean }) => l.restocked)).toBe(true);
    expect(await sumStock(db.models, productId)).toBe(10);
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(10);
    await app.http().post(`/api/orders/${id}/cancel`).set(as(alice)).expect(409);
    expect(await sumStock(db.models, productId)).toBe(10);
    // The return stays recorded (a tombstone), so no later pass can return the units again.
    const rows = await db.models.Stock.find({ productId }).lean();
    expect(rows.flatMap((r) => r.returns.map((x) => String(x.orderId)))).toEqual([id]);
  });

  it('when customer B tries to cancel A’s order, then 404 and nothing changes', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-2', priceCents: 100, stock: { 'ams-1': 10 } });
    const id = await placed(alice, productId, 2);
    const res = await app.http().post(`/api/orders/${id}/cancel`).set(as(bob)).expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect((await db.models.Order.findById(id).lean())!.status).toBe('pending');
    expect(await sumStock(db.models, productId)).toBe(8);
  });

  it('when the order is paid, then the customer cannot cancel it but an admin can, and it is marked refunded', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-3', priceCents: 100, stock: { 'ams-1': 10 } });
    const id = await placed(alice, productId, 3);
    await app.http().patch(`/api/orders/${id}/status`).set(as(admin)).send({ status: 'paid' }).expect(200);
    await app.http().post(`/api/orders/${id}/cancel`).set(as(alice)).expect(409);
    const res = await app.http().post(`/api/orders/${id}/cancel`).set(as(admin)).expect(200);
    expect(res.body).toMatchObject({ status: 'cancelled', paymentStatus: 'refunded' });
    expect(await sumStock(db.models, productId)).toBe(10);
  });

  it('when 10 cancels of one order race, then one succeeds and the stock comes back exactly once', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-4', priceCents: 100, stock: { 'ams-1': 10 } });
    const id = await placed(alice, productId, 5);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => app.http().post(`/api/orders/${id}/cancel`).set(as(alice)).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 409)).toBe(true);
    expect(await sumStock(db.models, productId)).toBe(10);
  });

  it('when a cancellation crashed after returning units but before marking the line, then reconciliation does not return them twice', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-5', priceCents: 100, stock: { 'ams-1': 10 } });
    const id = await placed(alice, productId, 4);
    // The state such a crash leaves: status cancelled, units back with their return record, line not marked.
    await db.models.Order.updateOne({ _id: id }, { $set: { status: 'cancelled' } });
    await db.models.Stock.updateOne(
      { productId, warehouse: 'ams-1' },
      { $inc: { quantity: 4 }, $push: { returns: { orderId: new Types.ObjectId(id), quantity: 4, at: new Date() } } },
    );
    const result = await app.server.reconcile(0);
    expect(result.restocked).toBe(1);
    expect(await sumStock(db.models, productId)).toBe(10);
    expect((await db.models.Order.findById(id).lean())!.lines.every((l) => l.restocked)).toBe(true);
  });

  it('when a cancellation crashed before returning any units, then reconciliation returns them', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-6', priceCents: 100, stock: { 'ams-1': 10 } });
    const id = await placed(alice, productId, 4);
    await db.models.Order.updateOne({ _id: id }, { $set: { status: 'cancelled' } });
    await app.server.reconcile(0);
    expect(await sumStock(db.models, productId)).toBe(10);
    await app.server.reconcile(0);
    expect(await sumStock(db.models, productId)).toBe(10);
  });
});

describe('cancelling a line served from several warehouses', () => {
  const rowsOf = async (productId: string): Promise<Record<string, number>> =>
    Object.fromEntries((await db.models.Stock.find({ productId }).sort({ warehouse: 1 }).lean()).map((r) => [r.warehouse, r.quantity]));

  it('when a customer cancels an order that took units from two warehouses, then each row gets back what it gave, once', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-SPLIT-1', priceCents: 100, stock: { 'ams-1': 4, 'fra-1': 3 } });
    const id = await placed(alice, productId, 6);
    expect(await rowsOf(productId)).toEqual({ 'ams-1': 0, 'fra-1': 1 });
    const res = await app.http().post(`/api/orders/${id}/cancel`).set(as(alice)).expect(200);
    expect(res.body.lines).toEqual([expect.objectContaining({ restocked: true, allocations: [{ warehouse: 'ams-1', quantity: 4 }, { warehouse: 'fra-1', quantity: 2 }] })]);
    expect(await rowsOf(productId)).toEqual({ 'ams-1': 4, 'fra-1': 3 });
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(7);
    const returns = (await db.models.Stock.find({ productId }).sort({ warehouse: 1 }).lean()).map((r) => r.returns.map((x) => [String(x.orderId), x.quantity]));
    expect(returns).toEqual([[[id, 4]], [[id, 2]]]);
    await app.http().post(`/api/orders/${id}/cancel`).set(as(alice)).expect(409);
    await app.server.reconcile(0);
    expect(await rowsOf(productId)).toEqual({ 'ams-1': 4, 'fra-1': 3 });
  });

  it('when a cancellation crashed after returning one warehouse’s units but not the other’s, then reconciliation returns only the missing ones', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-SPLIT-2', priceCents: 100, stock: { 'ams-1': 4, 'fra-1': 3 } });
    const id = await placed(alice, productId, 6);
    // The state such a crash leaves: cancelled, ams-1's 4 units back with their return record, fra-1's 2 not, line unmarked.
    await db.models.Order.updateOne({ _id: id }, { $set: { status: 'cancelled' } });
    await db.models.Stock.updateOne(
      { productId, warehouse: 'ams-1' },
      { $inc: { quantity: 4 }, $push: { returns: { orderId: new Types.ObjectId(id), quantity: 4, at: new Date() } } },
    );
    const result = await app.server.reconcile(0);
    expect(result.restocked).toBe(1);
    expect(await rowsOf(productId)).toEqual({ 'ams-1': 4, 'fra-1': 3 });
    expect((await db.models.Order.findById(id).lean())!.lines.every((l) => l.restocked)).toBe(true);
    await app.server.reconcile(0);
    expect(await rowsOf(productId)).toEqual({ 'ams-1': 4, 'fra-1': 3 });
  });

  it('when an order written before allocations (one warehouse per line) is read and cancelled, then its units go back to that warehouse', async () => {
    const productId = await addProduct(db.models, { sku: 'CAN-OLD', priceCents: 100, stock: { 'ams-1': 5, 'fra-1': 2 } });
    // Such an order as it was stored, and the decrement it made.
    const id = new Types.ObjectId();
    await db.models.Stock.updateOne({ productId, warehouse: 'fra-1' }, { $inc: { quantity: -2 } });
    await db.models.Order.collection.insertOne({
      _id: id,
      customerId: 'alice',
      idempotencyId: 'alice:old-order:g1',
      status: 'pending',
      paymentStatus: 'unpaid',
      lines: [{ productId: new Types.ObjectId(productId), sku: 'CAN-OLD', name: 'x', quantity: 2, unitPriceCents: 100, lineTotalCents: 200, warehouse: 'fra-1', restocked: false }],
      totalCents: 200,
      currency: 'USD',
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const read = await app.http().get(`/api/orders/${id.toHexString()}`).set(as(alice)).expect(200);
    expect(read.body.lines[0].allocations).toEqual([{ warehouse: 'fra-1', quantity: 2 }]);
    await app.http().post(`/api/orders/${id.toHexString()}/cancel`).set(as(alice)).expect(200);
    expect(await rowsOf(productId)).toEqual({ 'ams-1': 5, 'fra-1': 2 });
  });
});

describe('admin listing by status', () => {
  it('when an admin lists cancelled orders, then only those come, newest first; customers get 403', async () => {
    const res = await app.http().get('/api/orders/by-status/cancelled?limit=50').set(as(admin)).expect(200);
    expect(res.body.items.length).toBeGreaterThanOrEqual(3);
    expect(res.body.items.every((o: { status: string }) => o.status === 'cancelled')).toBe(true);
    const times = res.body.items.map((o: { createdAt: string }) => o.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    await app.http().get('/api/orders/by-status/cancelled').set(as(alice)).expect(403);
    await app.http().get('/api/orders/by-status/lost').set(as(admin)).expect(400);
  });
});
