// TRUSTED_PROXIES end to end (decision 0017): the real stack (PM2, one worker per service) behind a
// real nginx, first with the variable unset, then with 127.0.0.1/32 standing in for a front load
// balancer on this machine. What the catalog's rate limiter counts per client (its Redis keys
// are named by req.ip) shows which address the service saw; readiness shows who gets the detail.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedCatalog } from '@shop/catalog/seed';
import { testDatabase, type TestDatabase } from '@shop/db/testing';
import { connectRedis, createAuth, createLogger, createRedis, type Redis } from '@shop/service-kit';
import { startNginx, stopNginx, testConfig, findNginx, writeLocalConfig, type LocalNginx } from '../../scripts/lib/nginx.ts';
import { ecosystemFile } from '../../scripts/lib/pm2.ts';
import { externalAddress, freeFixedPort, startStack, status, stopAllStacks, type Stack } from './stack-harness.ts';

/** The catalog's per-client limit for this suite (requests per minute). */
const LIMIT = 4;
// A read nginx's edge cache never answers itself (decision 0018), so every one meets the services' limit.
const READ = '/api/catalog/categories';

let db: TestDatabase;
let stack: Stack;
let redis: Redis;
let adminToken: string;

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { headers: { connection: 'close', ...headers }, signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body, headers: res.headers };
}

/** The catalog limiter's count for one client address (its key is `rl:<CACHE_PREFIX>catalog:<req.ip>`). */
async function countFor(ip: string): Promise<number> {
  return Number((await redis.get(`rl:${db.serviceEnv.CACHE_PREFIX}catalog:${ip}`)) ?? 0);
}

/** nginx as a client on another address reaches it (this machine's non-loopback IPv4). */
const fromOutside = (edge: string): string => `http://${externalAddress()}:${new URL(edge).port}`;

beforeAll(async () => {
  db = await testDatabase('e2e_trusted_proxy');
  await seedCatalog(db.models, { products: 20 });
  const jwtSecret = 'e2e-tp-'.padEnd(48, 'x') + Date.now();
  adminToken = await createAuth(jwtSecret).sign({ id: 'e2e-ops', role: 'admin' }, '1h');
  redis = createRedis({ url: process.env.REDIS_URL!, logger: createLogger('e2e-trusted-proxy', 'silent'), name: 'e2e-trusted-proxy' });
  if (!(await connectRedis(redis, 2_000))) throw new Error(`cannot reach the test Redis at ${process.env.REDIS_URL}`);
  stack = await startStack({
    instances: 1,
    env: {
      ...db.serviceEnv,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      REDIS_URL: process.env.REDIS_URL,
      JWT_SECRET: jwtSecret,
      CATALOG_RATE_LIMIT_MAX: String(LIMIT),
    },
  });
}, 150_000);

afterAll(async () => {
  await stopAllStacks();
  await redis?.quit().catch(() => redis.disconnect());
  await db?.drop();
}, 60_000);

describe('TRUSTED_PROXIES unset (the default)', () => {
  it('when requests from this machine carry different X-Forwarded-For values through nginx, then they all share one bucket of the service limit, and the services run with no trusted balancer', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const res = await get(`${stack.edge}${READ}`, { 'X-Forwarded-For': `198.51.100.${1 + (i % 2)}` });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), 429, 429]);
    // Tokens reserved plus the refusals that reached Redis: a worker that has refused a client
    // refuses it locally for the rest of the window (decision 0004), so the second 429 may not.
    expect([LIMIT + 1, LIMIT + 2]).toContain(await countFor('127.0.0.1'));
    expect(await countFor('198.51.100.1')).toBe(0);
    expect(await countFor('198.51.100.2')).toBe(0);
    // ecosystem.config.js states the variable (empty) rather than leaving it to whatever PM2 last had.
    for (const worker of await stack.workersAsync()) {
      const env = (worker.pm2_env as { env?: Record<string, string> }).env ?? {};
      expect([worker.name, env.TRUSTED_PROXIES]).toEqual([worker.name, '']);
    }
  });

  it('when a client on another address asks for readiness or liveness through nginx, then it gets {status, service} only, even claiming to be 127.0.0.1; with an admin token, or from this machine (the monitor), the detail', async () => {
    const outside = fromOutside(stack.edge);
    for (const headers of [{}, { 'X-Forwarded-For': '127.0.0.1', 'X-Real-IP': '127.0.0.1' }] as Record<string, string>[]) {
      const ready = await get(`${outside}/api/catalog/health/ready`, headers);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: expect.stringMatching(/^(ready|degraded)$/), service: 'catalog' });
      expect(ready.headers.get('cache-control')).toBe('no-store');
      expect((await get(`${outside}/api/orders/health`, headers)).body).toEqual({ status: 'ok', service: 'order' });
    }
    const admin = await get(`${outside}/api/catalog/health/ready`, { authorization: `Bearer ${adminToken}` });
    expect(admin.body).toMatchObject({ service: 'catalog', pid: expect.any(Number), dependencies: { mongodb: { latencyMs: expect.any(Number) } } });
    const local = await get(`${stack.edge}/api/search/health/ready`);
    expect(local.body).toMatchObject({ service: 'search', pid: expect.any(Number), dependencies: { mongodb: { status: 'up' }, redis: { status: 'up' } } });
  });
});

describe('TRUSTED_PROXIES=127.0.0.1/32 (a front load balancer on this machine)', () => {
  const TRUSTED = '127.0.0.1/32';
  let lb: LocalNginx;
  let edge: string;

  beforeAll(async () => {
    // The services get the variable the way `npm start` passes it: through ecosystem.config.js.
    await stack.pm2Async(['reload', ecosystemFile, '--update-env'], { TRUSTED_PROXIES: TRUSTED });
    const deadline = Date.now() + 60_000;
    for (const port of Object.values(stack.ports)) {
      while ((await status(`http://127.0.0.1:${port}/health/ready`)) !== 200) {
        if (Date.now() > deadline) throw new Error(`a service did not come back after the reload (port ${port})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const port = await freeFixedPort(new Set(Object.values(stack.ports)));
    lb = writeLocalConfig({
      dir: path.join(stack.home, 'nginx-trusted'),
      listen: `0.0.0.0:${port}`,
      ports: stack.ports,
      rateLimit: '100000r/s',
      rateBurst: 100_000,
      connLimit: 10_000,
      trustedProxies: TRUSTED,
      // The services purge the stack's own nginx, not this second one: it runs without an edge cache.
      edgeCache: false,
    });
    const nginx = findNginx();
    if (!nginx) throw new Error('nginx is not installed');
    const checked = testConfig(nginx, lb.conf, lb.prefix);
    if (!checked.ok) throw new Error(`nginx -t: ${checked.output}`);
    startNginx(nginx, lb);
    edge = `http://127.0.0.1:${port}`;
    while ((await status(`${edge}/api/catalog/health/ready`)) !== 200) {
      if (Date.now() > deadline) throw new Error('nginx with TRUSTED_PROXIES did not pass requests to the catalog');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 90_000);

  afterAll(async () => {
    if (lb) await stopNginx(lb.pidFile);
  });

  it('when the stack reloads with it, then ecosystem.config.js gives every service worker TRUSTED_PROXIES', async () => {
    const workers = await stack.workersAsync();
    expect(workers.map((w) => w.name).sort()).toEqual(['catalog', 'order', 'search']);
    for (const worker of workers) {
      // The app's own environment as PM2 started it (a cluster worker gets it from PM2 at run time, not through exec).
      const env = (worker.pm2_env as { env?: Record<string, string> }).env ?? {};
      expect([worker.name, env.TRUSTED_PROXIES, env.EDGE_PROXIES]).toEqual([worker.name, TRUSTED, '127.0.0.0/8,::1/128']);
    }
  });

  it('when the balancer relays two clients, then each has its own bucket at the service, keyed by the address the balancer named, and an entry spoofed left of it is ignored', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      const res = await get(`${edge}${READ}`, { 'X-Forwarded-For': `203.0.113.${100 + i}, 198.51.100.21` });
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('ratelimit-policy')).toContain(`"${LIMIT}-in-1min"`);
    }
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), 429]);
    const other = await get(`${edge}${READ}`, { 'X-Forwarded-For': '198.51.100.22' });
    expect(other.status).toBe(200);
    expect(await countFor('198.51.100.21')).toBe(LIMIT + 1);
    expect(await countFor('198.51.100.22')).toBe(1);
    for (let i = 0; i < LIMIT + 1; i++) expect(await countFor(`203.0.113.${100 + i}`)).toBe(0);
  });

  it('when the balancer relays a client from the internet, then readiness is the plain answer and nginx keeps its local-only pages from it', async () => {
    const relayed = { 'X-Forwarded-For': '203.0.113.50' };
    const ready = await get(`${edge}/api/catalog/health/ready`, relayed);
    expect(ready.body).toEqual({ status: expect.stringMatching(/^(ready|degraded)$/), service: 'catalog' });
    expect((await get(`${edge}/nginx_status`, relayed)).status).toBe(403);
    // The balancer's own probe (no X-Forwarded-For) is this machine.
    expect((await get(`${edge}/api/catalog/health/ready`)).body).toMatchObject({ dependencies: { mongodb: { status: 'up' } } });
    expect((await get(`${edge}/nginx_status`)).status).toBe(200);
  });

  it('when a client that is not a trusted balancer sends X-Forwarded-For, then nginx ignores it: its own address counts and a claimed 127.0.0.1 gets nothing local', async () => {
    const outside = fromOutside(edge);
    const own = externalAddress();
    const before = await countFor(own);
    const res = await get(`${outside}${READ}`, { 'X-Forwarded-For': '198.51.100.23' });
    expect(res.status).toBe(200);
    expect(await countFor(own)).toBe(before + 1);
    expect(await countFor('198.51.100.23')).toBe(0);
    const claimed = { 'X-Forwarded-For': '127.0.0.1' };
    expect((await get(`${outside}/api/catalog/health/ready`, claimed)).body).toEqual({ status: expect.stringMatching(/^(ready|degraded)$/), service: 'catalog' });
    expect((await get(`${outside}/nginx_status`, claimed)).status).toBe(403);
  });
});
