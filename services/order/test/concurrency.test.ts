import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { addProduct, spawnWorker, sumStock, testDatabase, tokenFor, type TestDatabase, type WorkerProcess } from './helpers.ts';

let db: TestDatabase;
let workers: WorkerProcess[] = [];

beforeEach(async () => {
  db = await testDatabase();
});

afterEach(async () => {
  await Promise.all(
    workers.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
  workers = [];
  await db.drop();
});

const K = 10;
const BUYERS = 200;

/** 200 buyers, one unit each, split over both worker processes, all at once. */
async function rush(productId: string): Promise<{ status: number; code?: string }[]> {
  const tokens = await Promise.all(Array.from({ length: BUYERS }, (_, i) => tokenFor(`buyer-${i}`)));
  return Promise.all(
    tokens.map(async (token, i) => {
      const res = await fetch(`${workers[i % workers.length]!.base}/api/orders`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': `rush-key-${i}` },
        body: JSON.stringify({ items: [{ productId, quantity: 1 }] }),
      });
      const body = (await res.json()) as { error?: { code: string } };
      return { status: res.status, code: body.error?.code };
    }),
  );
}

describe('last units under concurrent orders', () => {
  it('when 200 buyers in two processes race for 10 units, then exactly 10 orders exist and stock is 0, never negative', async () => {
    const productId = await addProduct(db.models, { sku: 'LAST-10', priceCents: 500, stock: { 'ams-1': 6, 'fra-1': 4 } });
    workers = await Promise.all([spawnWorker(db, 'normal'), spawnWorker(db, 'normal')]);
    const results = await rush(productId);
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    console.log(`[orders] ${BUYERS} buyers over 2 processes for ${K} units → ${created.length} orders; refusals: ${JSON.stringify(Object.groupBy(refused, (r) => `${r.status} ${r.code}`), (_k, v) => (Array.isArray(v) ? v.length : v))}`);
    expect(created).toHaveLength(K);
    expect(refused.every((r) => r.status === 409 && r.code === 'OUT_OF_STOCK')).toBe(true);
    expect(await db.models.Order.countDocuments()).toBe(K);
    const rows = await db.models.Stock.find({ productId }).lean();
    expect(rows.every((row) => row.quantity >= 0 && row.holds.length === 0)).toBe(true);
    expect(await sumStock(db.models, productId)).toBe(0);
    expect((await db.models.Product.findById(productId).lean())!.stockTotal).toBe(0);
  }, 60_000);

  it('when the same race runs against a naive read-modify-write reservation, then the test sees the oversell', async () => {
    const productId = await addProduct(db.models, { sku: 'NAIVE-10', priceCents: 500, stock: { 'ams-1': 6, 'fra-1': 4 } });
    workers = await Promise.all([spawnWorker(db, 'naive'), spawnWorker(db, 'naive')]);
    const results = await rush(productId);
    const created = results.filter((r) => r.status === 201).length;
    const orders = await db.models.Order.countDocuments();
    const sold = K - (await sumStock(db.models, productId));
    console.log(`[orders] naive reservation: ${created} orders accepted for ${K} units, stock says ${sold} sold`);
    // The same checks as the test above; at least one of them must fail for the naive version.
    const holds = created === K && orders === K && sold === K;
    expect(holds).toBe(false);
  }, 60_000);
});
