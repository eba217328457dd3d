// Metrics across PM2 workers (issue M6): the real stack, 2 workers per service behind nginx.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedCatalog } from '@shop/catalog/seed';
import { testDatabase, type TestDatabase } from '@shop/db/testing';
import { ecosystemFile, type Pm2Process } from '../../scripts/lib/pm2.ts';
import { externalAddress, startStack, status, stopAllStacks, type Stack } from './stack-harness.ts';

const INSTANCES = 2;
const KNOWN_REQUESTS = 137;
const ROUTE = { method: 'GET', route: '/api/catalog/categories', status_code: '200' };

let db: TestDatabase;
let stack: Stack;

beforeAll(async () => {
  db = await testDatabase('e2e_metrics');
  await seedCatalog(db.models, { products: 200 });
  stack = await startStack({
    instances: INSTANCES,
    env: { ...db.serviceEnv, NODE_ENV: 'production', LOG_LEVEL: 'warn', REDIS_URL: process.env.REDIS_URL, RATE_LIMIT_MAX: '1000000' },
  });
}, 150_000);

afterAll(async () => {
  await stopAllStacks();
  await db?.drop();
}, 60_000);

/** The value of the first sample of `name` carrying every label given. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function scrape(service: 'catalog' | 'order' | 'search'): Promise<string> {
  const res = await fetch(`${stack.edge}/metrics/${service}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return res.text();
}

/** Every worker pushes its increments once a second: a scrape after that sees them all. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1_500));

/**
 * The value once every worker's push has landed: scraped until two scrapes a push interval
 * apart agree (a slow push on a loaded machine only delays this; it cannot make it pass early).
 */
async function settledValue(service: 'catalog', name: string, labels: Record<string, string>): Promise<number | undefined> {
  let last = sample(await scrape(service), name, labels);
  for (let attempt = 0; attempt < 20; attempt++) {
    await new Promise((r) => setTimeout(r, 1_200));
    const next = sample(await scrape(service), name, labels);
    if (next === last) return next;
    last = next;
  }
  return last;
}

describe('one scrape for the whole service', () => {
  let countBefore: number;

  it(`when ${KNOWN_REQUESTS} requests go through nginx to 2 catalog workers, then one scrape counts exactly ${KNOWN_REQUESTS}`, async () => {
    const pids = new Set<number>();
    for (let i = 0; i < KNOWN_REQUESTS; i++) {
      // Straight to the service port, a new connection each time: PM2's cluster master hands
      // connections to the workers in turn (nginx would reuse one pooled connection).
      const res = await fetch(`http://127.0.0.1:${stack.ports.catalog}/api/catalog/categories`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    for (const worker of stack.workers('catalog')) pids.add(worker.pid);
    countBefore = (await settledValue('catalog', 'http_requests_total', ROUTE)) ?? NaN;
    const text = await scrape('catalog');
    console.log(`catalog: ${countBefore} counted for ${KNOWN_REQUESTS} sent, across ${sample(text, 'shop_metrics_workers', { service: 'catalog' })} workers (pids ${[...pids].join(', ')})`);
    expect(countBefore).toBe(KNOWN_REQUESTS);
    expect(sample(text, 'http_request_duration_seconds_count', ROUTE)).toBe(KNOWN_REQUESTS);
    expect(sample(text, 'shop_metrics_workers', { service: 'catalog' })).toBe(INSTANCES);
  });

  it('when the catalog is reloaded with pm2, then the same counter is not lower afterwards', async () => {
    await stack.pm2Async(['reload', ecosystemFile, '--only', 'catalog']);
    while ((await status(`http://127.0.0.1:${stack.ports.catalog}/health/ready`)) !== 200) await new Promise((r) => setTimeout(r, 200));
    const after = (await settledValue('catalog', 'http_requests_total', ROUTE)) ?? NaN;
    console.log(`catalog after pm2 reload: ${after} (before: ${countBefore})`);
    expect(after).toBeGreaterThanOrEqual(countBefore);
    expect(after).toBe(KNOWN_REQUESTS);
  }, 60_000);

  it('when each service is scraped, then promtool check metrics passes and the RED, cache, MongoDB and runtime families are there', async () => {
    // Traffic for every family: a search twice (the second is a cache hit), an order read.
    for (let i = 0; i < 2; i++) await (await fetch(`${stack.edge}/api/search?q=desk`)).arrayBuffer();
    await (await fetch(`${stack.edge}/api/catalog/products?limit=3`)).arrayBuffer();
    await settle();
    for (const service of ['catalog', 'order', 'search'] as const) {
      const text = await scrape(service);
      const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(promtool.error).toBeUndefined();
      expect([service, promtool.status, `${promtool.stdout}${promtool.stderr}`.trim()]).toEqual([service, 0, '']);
      for (const family of ['http_request_duration_seconds_bucket', 'http_requests_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'mongodb_pool_connections', 'shop_metrics_workers']) {
        expect([service, family, text.includes(`${family}{`)]).toEqual([service, family, true]);
      }
      // Every label value is a route template or `unmatched`, never a raw path with an id in it.
      const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
      for (const route of routes) expect(route).toMatch(/^(unmatched|\/[A-Za-z0-9/_:.-]*)$/);
    }
    const search = await scrape('search');
    // The repeat is a hit on whichever worker nginx picks: its fast lane's, or L2 on the other one.
    const hits = (['fast', 'l1', 'l2'] as const).map((layer) => sample(search, 'cache_hits_total', { layer }) ?? 0);
    expect(hits.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(sample(search, 'mongodb_command_duration_seconds_count', { command: 'find', result: 'ok' }) ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it('when a product is read by id, then its route is counted under the template, not the id', async () => {
    const product = await db.models.Product.findOne({}, { _id: 1 }).lean<{ _id: unknown }>();
    await (await fetch(`${stack.edge}/api/catalog/products/${String(product?._id)}`)).arrayBuffer();
    await settle();
    const text = await scrape('catalog');
    expect(sample(text, 'http_requests_total', { route: '/api/catalog/products/:id', status_code: '200' }) ?? 0).toBeGreaterThan(0);
    expect(text).not.toContain(String(product?._id));
  });

  it('when /metrics is asked from outside, then nginx refuses it', async () => {
    const res = await fetch(`http://${externalAddress()}:${new URL(stack.edge).port}/metrics/catalog`);
    expect(res.status).toBe(403);
  });

  it('when workers have served traffic, then pm2 shows each one’s req/s, p95, cache hit rate and heap after the last major GC (@pm2/io)', async () => {
    const figures = (): Pm2Process[] => stack.workers('catalog');
    const busy = (w: Pm2Process): boolean => Number(w.pm2_env.axm_monitor?.['req/s']?.value ?? 0) > 0;
    // Traffic straight to the port on fresh connections (both workers get some) until every
    // worker has reported a non-zero window, or 30 s.
    const deadline = Date.now() + 30_000;
    while (!(figures().length === INSTANCES && figures().every(busy)) && Date.now() < deadline) {
      for (let i = 0; i < 40; i++) {
        await (await fetch(`http://127.0.0.1:${stack.ports.catalog}/api/catalog/products?limit=2`, { headers: { connection: 'close' } })).arrayBuffer();
      }
    }
    const workers = figures();
    expect(workers).toHaveLength(INSTANCES);
    for (const worker of workers) {
      const monitor = worker.pm2_env.axm_monitor ?? {};
      console.log(`pm2 custom metrics of catalog worker ${worker.pid}: ${JSON.stringify(Object.fromEntries(Object.entries(monitor).map(([k, v]) => [k, v.value])))}`);
      expect(Object.keys(monitor)).toEqual(expect.arrayContaining(['req/s', 'p95', 'cache hit', 'heap after GC']));
      // One set of figures: PM2's own injected @pm2/io (pmx) is off in ecosystem.config.js.
      expect(Object.keys(monitor).filter((name) => /^(Heap Size|Heap Usage|Used Heap Size)$/.test(name))).toEqual([]);
      expect(Number(monitor['req/s']?.value)).toBeGreaterThan(0);
      // Read at start and after each major GC; a worker's old generation is tens of MiB.
      expect(Number(monitor['heap after GC']?.value)).toBeGreaterThan(5);
      expect(Number(monitor['heap after GC']?.value)).toBeLessThan(500);
    }
  }, 60_000);
});
