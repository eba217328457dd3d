import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addProduct, startOrderForTest, sumStock, testDatabase, tokenFor, type OrderUnderTest, type TestDatabase } from './helpers.ts';

let db: TestDatabase;
let app: OrderUnderTest;
let alice: string;
let bob: string;
let admin: string;
let widget: string;
let gadget: string;
let keySeq = 0;
const key = (): string => `test-key-${process.pid}-${keySeq++}`;

beforeAll(async () => {
  db = await testDatabase();
  app = await startOrderForTest(db);
  [alice, bob, admin] = await Promise.all([tokenFor('alice'), tokenFor('bob'), tokenFor('root', 'admin')]);
  widget = await addProduct(db.models, { sku: 'WID-1', priceCents: 1_250, stock: { 'ams-1': 50 } });
  gadget = await addProduct(db.models, { sku: 'GAD-1', priceCents: 9_999, stock: { 'ams-1': 2, 'fra-1': 1 } });
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

const order = (token: string, body: unknown, idempotencyKey: string | null = key()) => {
  const req = app.http().post('/api/orders').set('Authorization', `Bearer ${token}`);
  if (idempotencyKey !== null) req.set('Idempotency-Key', idempotencyKey);
  return req.send(body as object);
};

async function snapshot(): Promise<unknown> {
  const [orders, stock, keys] = await Promise.all([
    db.models.Order.countDocuments(),
    db.models.Stock.find({}, { quantity: 1, holds: 1 }).sort({ _id: 1 }).lean(),
    db.models.Idempotency.countDocuments(),
  ]);
  return JSON.parse(JSON.stringify({ orders, stock, keys }));
}

describe('placing orders', () => {
  it('when a customer orders by id and by sku, then prices and totals come from the catalog', async () => {
    const res = await order(alice, { items: [{ productId: widget, quantity: 2 }, { sku: 'GAD-1', quantity: 1 }] }).expect(201);
    expect(res.body).toMatchObject({ customerId: 'alice', status: 'pending', paymentStatus: 'unpaid', totalCents: 2 * 1_250 + 9_999, currency: 'USD' });
    expect(res.body.lines).toEqual([
      expect.objectContaining({ sku: 'WID-1', quantity: 2, unitPriceCents: 1_250, lineTotalCents: 2_500, allocations: [{ warehouse: 'ams-1', quantity: 2 }] }),
      expect.objectContaining({ sku: 'GAD-1', quantity: 1, unitPriceCents: 9_999, allocations: [{ warehouse: 'ams-1', quantity: 1 }] }),
    ]);
    expect(res.headers.location).toBe(`/api/orders/${res.body.id}`);
    expect(await sumStock(db.models, widget)).toBe(48);
    expect((await db.models.Product.findById(widget).lean())!.stockTotal).toBe(48);
    expect((await db.models.Stock.find({ productId: widget }).lean()).every((r) => r.holds.length === 0)).toBe(true);
  });

  it('when the client sends its own price, then 400 and nothing is written', async () => {
    const before = await snapshot();
    const res = await order(alice, { items: [{ productId: widget, quantity: 1, unitPriceCents: 1 }] }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(await snapshot()).toEqual(before);
  });

  it('when a line cannot be served, then 409 OUT_OF_STOCK and the other lines are given back', async () => {
    const before = await sumStock(db.models, widget);
    const res = await order(alice, { items: [{ productId: widget, quantity: 5 }, { productId: gadget, quantity: 4 }] }).expect(409);
    expect(res.body.error).toMatchObject({ code: 'OUT_OF_STOCK', details: { sku: 'GAD-1', requested: 4 } });
    expect(await sumStock(db.models, widget)).toBe(before);
    expect((await db.models.Stock.find({}).lean()).every((r) => r.holds.length === 0)).toBe(true);
  });

  it('when the product does not exist, then 422 UNKNOWN_PRODUCT', async () => {
    const res = await order(alice, { items: [{ productId: '0123456789abcdef01234567', quantity: 1 }, { sku: 'NOPE', quantity: 1 }] }).expect(422);
    expect(res.body.error.code).toBe('UNKNOWN_PRODUCT');
    expect(res.body.error.details.products).toEqual(['0123456789abcdef01234567', 'NOPE']);
  });

  it('when there is no token, or no Idempotency-Key, then 401 / 400', async () => {
    await app.http().post('/api/orders').set('Idempotency-Key', key()).send({ items: [{ productId: widget, quantity: 1 }] }).expect(401);
    const res = await order(alice, { items: [{ productId: widget, quantity: 1 }] }, null).expect(400);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    await order(alice, { items: [{ productId: widget, quantity: 1 }] }, 'short').expect(400);
  });
});

describe('hostile order bodies', () => {
  const cases: [string, unknown][] = [
    ['zero quantity', { items: [{ sku: 'WID-1', quantity: 0 }] }],
    ['negative quantity', { items: [{ sku: 'WID-1', quantity: -5 }] }],
    ['fractional quantity', { items: [{ sku: 'WID-1', quantity: 1.5 }] }],
    ['huge quantity', { items: [{ sku: 'WID-1', quantity: 1e12 }] }],
    ['quantity as a string', { items: [{ sku: 'WID-1', quantity: '2' }] }],
    ['duplicate lines', { items: [{ sku: 'WID-1', quantity: 1 }, { sku: 'WID-1', quantity: 1 }] }],
    ['both id and sku', { items: [{ sku: 'WID-1', productId: '0123456789abcdef01234567', quantity: 1 }] }],
    ['no items', { items: [] }],
    ['1000 lines', { items: Array.from({ length: 1000 }, (_, i) => ({ sku: `S-${i}`, quantity: 1 })) }],
    ['$gt in a sku', { items: [{ sku: { $gt: '' }, quantity: 1 }] }],
    ['$ne as productId', { items: [{ productId: { $ne: null }, quantity: 1 }] }],
    ['$where at the top', { items: [{ sku: 'WID-1', quantity: 1 }], $where: '1' }],
    ['customerId smuggled in', { items: [{ sku: 'WID-1', quantity: 1 }], customerId: 'bob' }],
  ];

  it.each(cases)('when the body has %s, then 4xx and nothing is written', async (_label, body) => {
    const before = await snapshot();
    const res = await order(alice, body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await snapshot()).toEqual(before);
  });

  it('when the body carries __proto__, then 400 and nothing is written', async () => {
    const before = await snapshot();
    await app
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${alice}`)
      .set('Idempotency-Key', key())
      .set('Content-Type', 'application/json')
      .send('{"items":[{"sku":"WID-1","quantity":1}],"__proto__":{"role":"admin"}}')
      .expect(400);
    expect(await snapshot()).toEqual(before);
  });
});

describe('idempotency', () => {
  it('when the same key and body are sent again, then the original status and body come back, and one order exists', async () => {
    const k = key();
    const body = { items: [{ sku: 'WID-1', quantity: 1 }] };
    const first = await order(bob, body, k).expect(201);
    const stockAfterFirst = await sumStock(db.models, widget);
    const replay = await order(bob, body, k).expect(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await sumStock(db.models, widget)).toBe(stockAfterFirst);
  });

  it('when the same key comes with a different body, then 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const k = key();
    await order(bob, { items: [{ sku: 'WID-1', quantity: 1 }] }, k).expect(201);
    const res = await order(bob, { items: [{ sku: 'WID-1', quantity: 2 }] }, k).expect(422);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('when keys collide between customers, then they do not interfere', async () => {
    const k = key();
    const a = await order(alice, { items: [{ sku: 'WID-1', quantity: 1 }] }, k).expect(201);
    const b = await order(bob, { items: [{ sku: 'WID-1', quantity: 2 }] }, k).expect(201);
    expect(a.body.id).not.toBe(b.body.id);
  });

  it('when 20 identical requests with one key arrive at once, then exactly one order is created', async () => {
    const k = key();
    const token = await tokenFor('carol');
    const before = await db.models.Order.countDocuments({ customerId: 'carol' });
    const results = await Promise.all(Array.from({ length: 20 }, () => order(token, { items: [{ sku: 'WID-1', quantity: 1 }] }, k)));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    expect(await db.models.Order.countDocuments({ customerId: 'carol' })).toBe(before + 1);
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
  });

  it('when a refused order is retried with its key, then the same refusal is replayed', async () => {
    const k = key();
    const first = await order(alice, { items: [{ productId: gadget, quantity: 99 }] }, k).expect(409);
    const again = await order(alice, { items: [{ productId: gadget, quantity: 99 }] }, k).expect(409);
    expect(again.body.error.code).toBe(first.body.error.code);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });
});

describe('reading orders', () => {
  it('when a customer lists orders, then only their own come back, newest first, page by page', async () => {
    const token = await tokenFor('dave');
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await order(token, { items: [{ sku: 'WID-1', quantity: 1 }] }).expect(201)).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string; customerId: string }[]; nextCursor: string | null } } = await app
        .http()
        .get(`/api/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(res.body.items.every((o) => o.customerId === 'dave')).toBe(true);
      seen.push(...res.body.items.map((o) => o.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
  });

  it('when customer B asks for A’s order, then 404, and it is not in B’s list; an admin can read it', async () => {
    const mine = await order(alice, { items: [{ sku: 'WID-1', quantity: 1 }] }).expect(201);
    const res = await app.http().get(`/api/orders/${mine.body.id}`).set('Authorization', `Bearer ${bob}`).expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    const list = await app.http().get('/api/orders?limit=50').set('Authorization', `Bearer ${bob}`).expect(200);
    expect(list.body.items.map((o: { id: string }) => o.id)).not.toContain(mine.body.id);
    await app.http().get(`/api/orders/${mine.body.id}`).set('Authorization', `Bearer ${alice}`).expect(200);
    await app.http().get(`/api/orders/${mine.body.id}`).set('Authorization', `Bearer ${admin}`).expect(200);
  });

  it('when the cursor or id is forged, then 400', async () => {
    await app.http().get('/api/orders?cursor=bm90LWEtY3Vyc29y').set('Authorization', `Bearer ${alice}`).expect(400);
    await app.http().get('/api/orders/not-an-id').set('Authorization', `Bearer ${alice}`).expect(400);
    await app.http().get('/api/orders?customerId=bob').set('Authorization', `Bearer ${alice}`).expect(400);
  });
});

describe('OpenAPI', () => {
  it('when fetched, then it documents every order operation, and each answers', async () => {
    const doc = (await app.http().get('/api/orders/openapi.json').expect(200)).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/', '/by-status/{status}', '/{id}', '/{id}/cancel', '/{id}/status']);
    expect(Object.keys(doc.paths['/']).sort()).toEqual(['get', 'post']);
    const get = await app.http().get('/api/orders/0123456789abcdef01234567').set('Authorization', `Bearer ${alice}`);
    expect(Object.keys(doc.paths['/{id}'].get.responses)).toContain(String(get.status));
  });
});
