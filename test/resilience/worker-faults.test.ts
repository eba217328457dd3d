// BRIEF §6, issue R9: workers SIGKILLed and `pm2 reload`ed under mixed read/write load lose and
// duplicate no order and fail no idempotent read; the last-K stock test through nginx, across all
// workers, with reloads happening while the orders run.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ecosystemFile } from '../../scripts/lib/pm2.ts';
import { placeUntilFinal, retryTally, type FinalOrderAnswer } from './support/orders.ts';
import { resilienceStack, type ResilienceStack } from './support/resilience-stack.ts';
import { describe as describeAnswers, examples, send, sleep, statusCounts, type RequestSpec } from './support/traffic.ts';

let env: ResilienceStack;

beforeAll(async () => {
  // Holds of attempts cut by a kill are released quickly, so that stock can be accounted for in the test.
  env = await resilienceStack({ name: 'resilience-workers', env: { RESERVATION_TIMEOUT_MS: '3000', RECONCILE_INTERVAL_MS: '1000' } });
}, 180_000);

afterAll(async () => {
  await env?.teardown();
}, 60_000);

/** Units on hand per product (the stock rows, which orders decrement). */
async function unitsOf(productIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await env.models.Stock.find({ productId: { $in: productIds } }, { productId: 1, quantity: 1 }).lean<{ productId: unknown; quantity: number }[]>();
  const units = new Map<string, number>(productIds.map((id) => [id, 0]));
  for (const row of rows) units.set(String(row.productId), (units.get(String(row.productId)) ?? 0) + row.quantity);
  return units;
}

/** Resolves once PM2 shows `count` online workers of `name`, none of them with a pid in `gone`. */
async function replaced(name: 'catalog' | 'order', gone: Set<number>, count = 2): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const workers = env.stack.workers(name);
    if (workers.length === count && workers.every((w) => w.pm2_env.status === 'online' && !gone.has(w.pid))) return;
    if (Date.now() > deadline) throw new Error(`${name}: no replacement for ${[...gone].join(', ')} within 30 s`);
    await sleep(250);
  }
}

describe('workers killed and reloaded under mixed load', () => {
  it('when order and catalog workers are SIGKILLed and every service is reloaded under mixed read/write load, then no idempotent read fails and every order is created exactly once', async () => {
    const customer = await env.token('faults-customer', 'customer');
    const ids = env.productIds;
    const stocked = await env.stockedProducts(80, 20);
    expect(stocked.length).toBeGreaterThanOrEqual(10);
    const unitsBefore = await unitsOf(stocked);

    let n = 0;
    const reads = env.traffic({
      users: 6,
      thinkMs: 20,
      next: (): RequestSpec => {
        n++;
        if (n % 6 === 0) return { kind: 'my-orders', path: '/api/orders?limit=5', headers: { authorization: `Bearer ${customer}` } };
        if (n % 5 === 0) return { kind: 'search', path: `/api/search?q=${['desk', 'lamp', 'chair', 'phone'][n % 4]!}` };
        if (n % 4 === 0) return { kind: 'listing', path: `/api/catalog/products?limit=12&page=${1 + (n % 4)}` };
        return { kind: 'product', path: `/api/catalog/products/${ids[n % 80]!}` };
      },
    });

    let writing = true;
    let k = 0;
    const run = Date.now().toString(36);
    const finals: FinalOrderAnswer[] = [];
    const writers = Array.from({ length: 4 }, async () => {
      while (writing) {
        const i = k++;
        finals.push(await placeUntilFinal(env.stack.edge, customer, `faults-${run}-${i}`, [{ productId: stocked[i % stocked.length]!, quantity: 1 + (i % 2) }]));
        await sleep(30);
      }
    });

    const log = (line: string): void => console.log(`${(reads.now() / 1000).toFixed(1)} s: ${line}`);
    await sleep(2_000);
    for (const name of ['order', 'catalog'] as const) {
      const victim = env.stack.workers(name)[0]!;
      process.kill(victim.pid, 'SIGKILL');
      log(`SIGKILL ${name} worker pm_id ${victim.pm_id} (pid ${victim.pid})`);
      await replaced(name, new Set([victim.pid]));
      log(`${name} worker replaced`);
      await sleep(1_000);
    }
    for (const only of ['order', 'catalog', 'search']) {
      const started = Date.now();
      await env.stack.pm2Async(['reload', ecosystemFile, '--only', only]);
      log(`pm2 reload ${only}: ${Date.now() - started} ms`);
    }
    await sleep(1_500);
    writing = false;
    await Promise.all(writers);
    const answers = await reads.stop();
    console.log(`reads:\n${describeAnswers(answers)}`);
    console.log(`orders: ${finals.length} placed, final answers ${JSON.stringify(statusCounts(finals.map((f) => f.attempts.at(-1)!)))}, retried attempts ${JSON.stringify(retryTally(finals))}`);

    // Every idempotent read answered 2xx, through every kill and reload.
    expect(answers.length).toBeGreaterThan(1_000);
    expect(examples(answers, (a) => a.status < 200 || a.status >= 300)).toEqual([]);

    // Every order exactly once: one 201 per key, distinct orders, and the database holds exactly those.
    // (A long run can sell a product out: OUT_OF_STOCK is a final answer that created nothing, which the stock check below holds it to.)
    const placed = finals.filter((f) => f.status === 201);
    expect(placed.length).toBeGreaterThan(50);
    expect(finals.filter((f) => f.status !== 201 && !(f.status === 409 && f.code === 'OUT_OF_STOCK')).map((f) => `${f.key}: ${f.status} ${f.code}`)).toEqual([]);
    const orderIds = placed.map((f) => f.id!);
    expect(new Set(orderIds).size).toBe(placed.length);
    const stored = await env.models.Order.find({ customerId: 'faults-customer' }, { _id: 1, lines: 1 }).lean<{ _id: unknown; lines: { quantity: number }[] }[]>();
    expect(stored.length).toBe(placed.length);
    expect(orderIds.filter((id) => !stored.some((s) => String(s._id) === id))).toEqual([]);

    // Stock: exactly the ordered units left the shelves (holds of cut attempts are released by reconciliation).
    const ordered = stored.reduce((sum, order) => sum + order.lines.reduce((s, l) => s + l.quantity, 0), 0);
    const total = (units: Map<string, number>): number => [...units.values()].reduce((a, b) => a + b, 0);
    const deadline = Date.now() + 20_000;
    let taken = total(unitsBefore) - total(await unitsOf(stocked));
    while (taken !== ordered && Date.now() < deadline) {
      await sleep(500);
      taken = total(unitsBefore) - total(await unitsOf(stocked));
    }
    console.log(`stock: ${ordered} units ordered, ${taken} units left the shelves`);
    expect(taken).toBe(ordered);
  }, 240_000);

  it('when 3 × K customers order the last K units, split over three warehouses, through nginx while the order and catalog workers reload, then exactly K units are sold and the stock ends at 0', async () => {
    const K = 60;
    const N = 3 * K;
    // 3 units per order and no warehouse holding a multiple of 3: some lines must take from two rows.
    const PER_ORDER = 3;
    const SPLIT: Record<string, number> = { 'lastk-a': 25, 'lastk-b': 20, 'lastk-c': 15 };
    const admin = await env.token('stock-admin', 'admin');
    // A product no earlier test has orders of: the mixed-load test orders whichever stocked products
    // the database lists first, and their orders would count here.
    const ordered = new Set((await env.models.Order.find({}, { 'lines.productId': 1 }).lean<{ lines: { productId: unknown }[] }[]>()).flatMap((o) => o.lines.map((l) => String(l.productId))));
    const productId = env.productIds.slice(250).find((id) => !ordered.has(id))!;
    expect(productId).toBeDefined();
    // The K units split over three warehouses, none elsewhere.
    const rows = await env.models.Stock.find({ productId }, { warehouse: 1 }).lean<{ warehouse: string }[]>();
    for (const warehouse of new Set([...rows.map((r) => r.warehouse), ...Object.keys(SPLIT)])) {
      const set = await send(env.stack.edge, {
        kind: 'set-stock',
        method: 'PUT',
        path: `/api/catalog/products/${productId}/stock/${warehouse}`,
        headers: { authorization: `Bearer ${admin}` },
        body: JSON.stringify({ quantity: SPLIT[warehouse] ?? 0 }),
      });
      expect([warehouse, set.status]).toEqual([warehouse, 200]);
    }
    const tokens = await Promise.all(Array.from({ length: N }, (_, i) => env.token(`lastk-${i}`, 'customer')));

    let next = 0;
    const finals: FinalOrderAnswer[] = [];
    const clients = Array.from({ length: 6 }, async () => {
      while (next < N) {
        const i = next++;
        finals.push(await placeUntilFinal(env.stack.edge, tokens[i]!, `lastk-order-${i}`, [{ productId, quantity: PER_ORDER }]));
        await sleep(250);
      }
    });
    const origin = Date.now();
    const reloads: string[] = [];
    const reloading = (async () => {
      await sleep(500);
      for (const only of ['order', 'catalog', 'order']) {
        if (next >= N) break;
        const started = Date.now();
        await env.stack.pm2Async(['reload', ecosystemFile, '--only', only]);
        reloads.push(`${only} ${((started - origin) / 1000).toFixed(1)}–${((Date.now() - origin) / 1000).toFixed(1)} s (orders sent: ${next})`);
      }
    })();
    await Promise.all(clients);
    await reloading;

    const won = finals.filter((f) => f.status === 201);
    const codes = statusCounts(finals.map((f) => f.attempts.at(-1)!));
    console.log(`last ${K} units, ${N} customers: final answers ${JSON.stringify(codes)}; retried attempts ${JSON.stringify(retryTally(finals))}; reloads ${reloads.join(', ')}`);
    expect(reloads.length).toBeGreaterThanOrEqual(1);
    expect(won.length).toBe(K / PER_ORDER);
    expect(finals.filter((f) => f.status !== 201 && !(f.status === 409 && f.code === 'OUT_OF_STOCK')).map((f) => `${f.key}: ${f.status} ${f.code}`)).toEqual([]);
    const stored = await env.models.Order.find({ 'lines.productId': productId }, { lines: 1 }).lean<{ lines: { allocations?: { warehouse: string; quantity: number }[] }[] }[]>();
    // Where the sold units came from, per warehouse, as the orders record it.
    const fromRows = new Map<string, number>();
    for (const allocation of stored.flatMap((o) => o.lines.flatMap((l) => l.allocations ?? []))) {
      fromRows.set(allocation.warehouse, (fromRows.get(allocation.warehouse) ?? 0) + allocation.quantity);
    }
    const left = (await unitsOf([productId])).get(productId);
    const product = await env.models.Product.findById(productId, { stockTotal: 1 }).lean<{ stockTotal: number }>();
    const split = stored.filter((o) => o.lines.some((l) => (l.allocations?.length ?? 0) > 1)).length;
    console.log(`orders stored for the product: ${stored.length} (${split} taking from several rows); units per warehouse ${JSON.stringify(Object.fromEntries(fromRows))}; units left: ${left}; stockTotal ${product?.stockTotal}`);
    expect(stored.length).toBe(K / PER_ORDER);
    expect(Object.fromEntries(fromRows)).toEqual(SPLIT);
    expect(left).toBe(0);
    expect(product?.stockTotal).toBe(0);
    expect(await env.models.Stock.countDocuments({ productId, 'holds.0': { $exists: true } })).toBe(0);
  }, 240_000);
});
