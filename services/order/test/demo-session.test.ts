import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadOrderConfig } from '../src/config.ts';
import { addProduct, startOrderForTest, testDatabase, type OrderUnderTest, type TestDatabase } from './helpers.ts';

let db: TestDatabase;
let demo: OrderUnderTest;
let plain: OrderUnderTest;

beforeAll(async () => {
  db = await testDatabase();
  [demo, plain] = await Promise.all([startOrderForTest(db, { DEMO_SIGN_IN: 'true' }), startOrderForTest(db)]);
  await addProduct(db.models, { sku: 'DEMO-1', priceCents: 500, stock: { 'ams-1': 10 } });
});

afterAll(async () => {
  await Promise.all([demo.stop(), plain.stop()]);
  await db.drop();
});

describe('demo sign-in (the storefront’s demo customer)', () => {
  it('when DEMO_SIGN_IN is on, then POST /demo-session answers a customer token that places and lists its own orders', async () => {
    const session = await demo.http().post('/api/orders/demo-session').send({}).expect(201);
    expect(session.headers['cache-control']).toBe('no-store');
    expect(session.body.customerId).toMatch(/^demo-[0-9a-f-]{36}$/);
    const expiresIn = Date.parse(session.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(11.9 * 3_600_000);
    expect(expiresIn).toBeLessThanOrEqual(12 * 3_600_000);

    const auth = `Bearer ${session.body.token}`;
    const placed = await demo
      .http()
      .post('/api/orders')
      .set('Authorization', auth)
      .set('Idempotency-Key', 'demo-order-0001')
      .send({ items: [{ sku: 'DEMO-1', quantity: 2 }] })
      .expect(201);
    expect(placed.body.customerId).toBe(session.body.customerId);
    const history = await demo.http().get('/api/orders').set('Authorization', auth).expect(200);
    expect(history.body.items.map((o: { id: string }) => o.id)).toEqual([placed.body.id]);
  });

  it('when two demo sessions start, then each is a different customer who cannot see the other’s orders', async () => {
    const [a, b] = await Promise.all([0, 1].map(() => demo.http().post('/api/orders/demo-session').send({}).expect(201)));
    expect(a!.body.customerId).not.toBe(b!.body.customerId);
    const placed = await demo
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${a!.body.token}`)
      .set('Idempotency-Key', 'demo-order-0002')
      .send({ items: [{ sku: 'DEMO-1', quantity: 1 }] })
      .expect(201);
    await demo.http().get(`/api/orders/${placed.body.id}`).set('Authorization', `Bearer ${b!.body.token}`).expect(404);
  });

  it('when the body is anything but {}, then 400 VALIDATION_FAILED and no token', async () => {
    const res = await demo.http().post('/api/orders/demo-session').send({ role: 'admin' }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.token).toBeUndefined();
  });

  it('when DEMO_SIGN_IN is off (the default), then there is no such route and the OpenAPI document does not list it', async () => {
    await plain.http().post('/api/orders/demo-session').send({}).expect(404);
    const doc = await plain.http().get('/api/orders/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).not.toContain('/demo-session');
    const withDemo = await demo.http().get('/api/orders/openapi.json').expect(200);
    expect(Object.keys(withDemo.body.paths)).toContain('/demo-session');
  });

  it('when DEMO_SIGN_IN is unset or not exactly true/false, then it is off or the configuration is refused', () => {
    expect(loadOrderConfig({}).DEMO_SIGN_IN).toBe(false);
    expect(loadOrderConfig({ DEMO_SIGN_IN: 'true' }).DEMO_SIGN_IN).toBe(true);
    expect(() => loadOrderConfig({ DEMO_SIGN_IN: 'yes' })).toThrow(/DEMO_SIGN_IN/);
  });
});
