// BRIEF §6, issue R9: the MongoDB-wire server stopped under load, then started again. Cached
// reads keep answering (fresh, then stale-if-error until its bound), then answer an honest 503;
// uncached reads and writes get 503 with Retry-After without hanging; readiness turns false and
// scripts/monitor exits 2; after the restart everything recovers with no PM2 restart, and every
// order acknowledged with 201 exists.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from './support/orders.ts';
import { runMonitor } from '../e2e/monitor-run.ts';
import { databaseLogLines, readiness, readinessDetail, readinessOfEveryWorker, workerIdentities } from './support/probes.ts';
import { resilienceStack, type ResilienceStack } from './support/resilience-stack.ts';
import { describe as describeAnswers, examples, send, sleep, type Answer, type RequestSpec } from './support/traffic.ts';

/** The stale-if-error bound the catalog runs with here (CACHE_STALE_IF_ERROR_MS; 10 min by default). */
const STALE_IF_ERROR_MS = 12_000;
/** The stock read's fresh life (routes.ts: 10 s, ± 10 % jitter). */
const STOCK_TTL_MS = 10_000;
const REQUEST_DEADLINE_MS = 8_000;
const OUTAGE_MS = 32_000;

let env: ResilienceStack;
let customer: string;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'shop-mongo-outage-'));

beforeAll(async () => {
  env = await resilienceStack({
    name: 'resilience-mongo',
    ownMongo: true,
    // LOG_LEVEL info (the shipped level): the workers' "mongodb server reachable" lines are info.
    env: { CACHE_STALE_IF_ERROR_MS: String(STALE_IF_ERROR_MS), REQUEST_DEADLINE_MS: String(REQUEST_DEADLINE_MS), RECONCILE_INTERVAL_MS: '2000', LOG_LEVEL: 'info' },
  });
  customer = await env.token('mongo-customer', 'customer');
}, 180_000);

afterAll(async () => {
  await env?.teardown();
  rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

const isServiceUnavailable = (a: Answer): boolean => {
  const code = parse(a.body)?.error?.code;
  return a.status === 503 && a.retryAfter !== undefined && (code === 'DEPENDENCY_UNAVAILABLE' || code === 'DEPENDENCY_TIMEOUT');
};

describe('MongoDB stopped under load', () => {
  it('when the database stops under load and comes back, then cached reads answer within the stale-if-error bound and then 503, writes get 503 with Retry-After, readiness and the monitor report it, and it all recovers with every acknowledged order stored', async () => {
    const stocked = await env.stockedProducts(60, 30);
    expect(stocked.length).toBeGreaterThanOrEqual(10);
    // Reads go to other products than the orders: an order invalidates its products' cached
    // answers (deleted, not kept stale), which would leave nothing to serve in the outage.
    const ids = env.productIds.filter((id) => !stocked.includes(id));
    const warm = ids.slice(0, 20);
    const stockOf = ids.slice(0, 20);
    const cold = ids.slice(100);

    // Warm the cache: each product and its stock, through nginx (L1 of some worker, and L2).
    const warmStart = performance.now();
    for (const id of warm) expect((await send(env.stack.edge, { kind: 'warm', path: `/api/catalog/products/${id}` })).status).toBe(200);
    for (const id of stockOf) expect((await send(env.stack.edge, { kind: 'warm', path: `/api/catalog/products/${id}/stock` })).status).toBe(200);
    const warmEnd = performance.now();

    let n = 0;
    let c = 0;
    let o = 0;
    const reads = env.traffic({
      users: 4,
      thinkMs: 25,
      next: (): RequestSpec => {
        n++;
        if (n % 3 === 0) return { kind: 'stock (cached)', path: `/api/catalog/products/${stockOf[n % stockOf.length]!}/stock` };
        if (n % 5 === 0) return { kind: 'search', path: `/api/search?q=desk` };
        return { kind: 'product (cached)', path: `/api/catalog/products/${warm[n % warm.length]!}` };
      },
    });
    const coldReads = env.traffic({ users: 2, thinkMs: 100, next: () => ({ kind: 'product (uncached)', path: `/api/catalog/products/${cold[c++ % cold.length]!}` }) });
    const writes = env.traffic({
      users: 4,
      thinkMs: 100,
      keepBodies: true,
      next: () => ({
        kind: 'order',
        method: 'POST',
        path: '/api/orders',
        headers: { authorization: `Bearer ${customer}`, 'idempotency-key': `mongo-outage-${o}` },
        body: JSON.stringify({ items: [{ productId: stocked[o++ % stocked.length]!, quantity: 1 }] }),
      }),
    });
    const origin = performance.now() - reads.now();
    await sleep(2_000);
    const identities = workerIdentities(env.stack);
    const stoppedAt = performance.now() - origin;
    await env.mongo!.down();
    console.log(`MongoDB-wire server stopped at ${(stoppedAt / 1000).toFixed(1)} s (cache warmed ${((warmEnd - origin) / 1000).toFixed(1)} s)`);

    await sleep(7_000);
    const ready = await readiness(env.stack);
    const { code: monitorCode, report: monitor } = await runMonitor(env.stack, path.join(stateDir, 'state.json'));
    console.log(`while down: readiness ${JSON.stringify(ready)}; scripts/monitor exit ${monitorCode} (${monitor.status}: ${monitor.failing.join(', ')})`);
    // The search answers from its in-memory index: it stays in rotation (degraded), by design (decision 0008).
    expect(ready).toEqual({ catalog: 503, order: 503, search: 200 });
    expect(monitorCode).toBe(2);
    expect(monitor.failing).toEqual(expect.arrayContaining(['ready:catalog', 'ready:order', 'ready:search']));

    await sleep(Math.max(0, stoppedAt + OUTAGE_MS - (performance.now() - origin)));
    const restartAt = performance.now() - origin;
    await env.mongo!.up();
    const upAt = performance.now() - origin;
    console.log(`MongoDB-wire server started again at ${(restartAt / 1000).toFixed(1)} s (up after ${((upAt - restartAt) / 1000).toFixed(1)} s, same data file)`);

    // Recovery without a PM2 restart: readiness comes back by itself, on every worker.
    let back: Awaited<ReturnType<typeof readiness>> | undefined;
    while (performance.now() - origin - upAt < 30_000) {
      back = await readinessOfEveryWorker(env.stack);
      if (back.catalog === 200 && back.order === 200 && back.search === 200) break;
      await sleep(250);
    }
    const readyAgainAt = performance.now() - origin;
    console.log(`readiness ${JSON.stringify(back)} ${((readyAgainAt - upAt) / 1000).toFixed(1)} s after the server was up`);
    if (!Object.values(back ?? {}).every((status) => status === 200)) console.log(`readiness in detail:\n${await readinessDetail(env.stack)}\nthe services' database log lines:\n${databaseLogLines(env.stack)}`);
    expect(back).toEqual({ catalog: 200, order: 200, search: 200 });
    expect(workerIdentities(env.stack)).toEqual(identities);
    await sleep(4_000);
    const [readAnswers, coldAnswers, writeAnswers] = await Promise.all([reads.stop(), coldReads.stop(), writes.stop()]);
    const all = [...readAnswers, ...coldAnswers, ...writeAnswers];

    const inOutage = (a: Answer): boolean => a.at > stoppedAt + 1_000 && a.at + a.ms < restartAt;
    const afterRecovery = (a: Answer): boolean => a.at > readyAgainAt + 500;
    console.log(`during the outage:\n${describeAnswers(all.filter(inOutage))}\nafter recovery:\n${describeAnswers(all.filter(afterRecovery))}`);

    // Nothing hung: every answer came within the request deadline (plus the edge's share).
    expect(examples(all, (a) => a.ms > REQUEST_DEADLINE_MS + 1_000)).toEqual([]);
    // No failed connection and no 502/504 from the edge at any time; a 5xx is only ever the honest 503.
    expect(examples(all, (a) => a.status === 0 || (a.status >= 500 && !isServiceUnavailable(a)))).toEqual([]);

    // Cached products (fresh 60 s) and search (its own index) keep answering throughout.
    expect(examples(all, (a) => (a.kind === 'product (cached)' || a.kind === 'search') && a.status !== 200)).toEqual([]);

    // Cached stock: served (fresh, then stale-if-error) until its bound, then an honest 503.
    const stock = readAnswers.filter((a) => a.kind === 'stock (cached)' && a.at < restartAt);
    const earliestBound = warmStart - origin + STOCK_TTL_MS * 0.9 + STALE_IF_ERROR_MS;
    const latestBound = warmEnd - origin + STOCK_TTL_MS * 1.1 + STALE_IF_ERROR_MS;
    const staleServed = stock.filter((a) => a.status === 200 && a.xCache === 'STALE' && a.at > stoppedAt);
    // A read is judged by when it arrived: one that came within the bound may wait for the refresh to fail, then gets the stale answer.
    // (Answers that completed after the restart are fresh loads, not stale.)
    const afterBound = stock.filter((a) => a.at > latestBound + 500 && a.at + a.ms < restartAt);
    const servedLate = afterBound.filter((a) => a.status === 200);
    const refusedAfterBound = afterBound;
    console.log(
      `cached stock: ${stock.filter((a) => a.status === 200 && a.at > stoppedAt).length} × 200 after the stop (${staleServed.length} STALE), ` +
        `bound ${(earliestBound / 1000).toFixed(1)}–${(latestBound / 1000).toFixed(1)} s; after it ${refusedAfterBound.filter(isServiceUnavailable).length} × 503 of ${refusedAfterBound.length}`,
    );
    expect(examples(stock, (a) => a.at < earliestBound - 500 && a.status !== 200)).toEqual([]);
    expect(staleServed.length).toBeGreaterThan(0);
    expect(examples(servedLate, () => true)).toEqual([]);
    expect(refusedAfterBound.length).toBeGreaterThanOrEqual(3);
    expect(examples(refusedAfterBound, (a) => !isServiceUnavailable(a))).toEqual([]);

    // Uncached reads and every write during the outage: 503 with Retry-After.
    expect(examples(all, (a) => inOutage(a) && (a.kind === 'product (uncached)' || a.kind === 'order') && !isServiceUnavailable(a))).toEqual([]);
    expect(all.filter((a) => inOutage(a) && a.kind === 'order').length).toBeGreaterThanOrEqual(6);

    // After recovery every kind of request succeeds again.
    expect(examples(all, (a) => afterRecovery(a) && a.status !== (a.kind === 'order' ? 201 : 200))).toEqual([]);
    for (const kind of ['stock (cached)', 'product (uncached)', 'order']) expect(all.filter((a) => afterRecovery(a) && a.kind === kind).length).toBeGreaterThan(0);

    // Every order acknowledged with 201 exists, exactly once.
    const acknowledged = writeAnswers.filter((a) => a.status === 201).map((a) => parse(a.body)?.id);
    const stored = await env.models.Order.find({ customerId: 'mongo-customer' }, { _id: 1 }).lean<{ _id: unknown }[]>();
    const storedIds = new Set(stored.map((s) => String(s._id)));
    console.log(`orders: ${acknowledged.length} acknowledged with 201, ${stored.length} stored; ${writeAnswers.filter(isServiceUnavailable).length} answered 503 + Retry-After`);
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(acknowledged.filter((id) => !id || !storedIds.has(id))).toEqual([]);
    expect(new Set(acknowledged).size).toBe(acknowledged.length);
  }, 240_000);
});
