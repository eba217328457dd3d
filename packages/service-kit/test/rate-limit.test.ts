import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Router } from 'express';
import request from 'supertest';
import { z } from 'zod';
import {
  baseConfigFields,
  createRateLimiter,
  createRedis,
  createServiceApp,
  loadConfig,
  type ProxySettings,
  type Redis,
} from '../src/index.ts';
import { closedPort, closeRedis, connectTestRedis, deleteKeys, silentLogger, startApp, type StartedApp } from './helpers.ts';

const PREFIX = '/api/rl';
const LIMIT = 10;
const RUN = `test-${randomUUID()}`;
const logger = silentLogger();

const started: StartedApp[] = [];
const clients: Redis[] = [];

/** EDGE_PROXIES and TRUSTED_PROXIES as a service's config reads them from `env`. */
const proxiesFrom = (env: NodeJS.ProcessEnv): ProxySettings =>
  loadConfig(z.object({ EDGE_PROXIES: baseConfigFields.EDGE_PROXIES, TRUSTED_PROXIES: baseConfigFields.TRUSTED_PROXIES }), env);

/** One "worker": its own app, server and Redis client, limiting with the shared `limiterPrefix`. */
async function startWorker(limiterPrefix: string, redis: Redis, proxies?: ProxySettings): Promise<StartedApp> {
  const router = Router();
  router.get('/ping', (req, res) => {
    res.json({ ok: true, ip: req.ip });
  });
  const limiter = createRateLimiter({ redis, prefix: limiterPrefix, windowMs: 60_000, max: LIMIT, logger });
  const app = createServiceApp({ service: 'rl', prefix: PREFIX, logger, healthChecks: [], routes: router, beforeRoutes: [limiter], ...(proxies ? { proxies } : {}) });
  const worker = await startApp(app, logger);
  started.push(worker);
  return worker;
}

async function liveRedis(): Promise<Redis> {
  const client = await connectTestRedis('service-kit-rate-limit-test', logger);
  clients.push(client);
  return client;
}

let inspector: Redis;

beforeAll(async () => {
  inspector = await liveRedis();
});

afterAll(async () => {
  await Promise.all(started.map((worker) => worker.stop()));
  await deleteKeys(inspector, `rl:${RUN}*`);
  await Promise.all(clients.map((client) => closeRedis(client)));
});

describe('a limit shared by two workers through Redis', () => {
  let workers: StartedApp[];
  const limiterPrefix = `${RUN}-shared`;

  beforeAll(async () => {
    workers = [await startWorker(limiterPrefix, await liveRedis()), await startWorker(limiterPrefix, await liveRedis())];
  });

  it('when requests alternate between the workers, then exactly the 11th overall gets 429 RATE_LIMITED', async () => {
    for (let i = 1; i <= LIMIT; i++) {
      const worker = workers[i % 2]!;
      const res = await request(worker.baseUrl).get(`${PREFIX}/ping`);
      expect({ request: i, status: res.status }).toEqual({ request: i, status: 200 });
      expect(res.headers['ratelimit-policy']).toMatch(/q=10; w=60/);
      expect(res.headers.ratelimit).toMatch(new RegExp(`r=${LIMIT - i}\\b`));
    }
    const over = await request(workers[1]!.baseUrl).get(`${PREFIX}/ping`);
    expect(over.status).toBe(429);
    expect(over.headers['content-type']).toMatch(/^application\/json/);
    expect(over.body.error).toMatchObject({ code: 'RATE_LIMITED', requestId: over.headers['x-request-id'] });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    const alsoOver = await request(workers[0]!.baseUrl).get(`${PREFIX}/ping`);
    expect(alsoOver.status).toBe(429);
  });

  it('when the budget is spent, then the count lives in Redis under the limiter prefix', async () => {
    const hits = Number(await inspector.get(`rl:${limiterPrefix}:127.0.0.1`));
    expect(hits).toBeGreaterThanOrEqual(LIMIT + 1);
    expect(await inspector.pttl(`rl:${limiterPrefix}:127.0.0.1`)).toBeGreaterThan(0);
  });

  it('when the budget is spent, then health checks still answer', async () => {
    await request(workers[0]!.baseUrl).get('/health').expect(200);
    await request(workers[1]!.baseUrl).get(`${PREFIX}/health/ready`).expect(200);
  });
});

describe('client addresses behind the nginx hop on loopback (the default EDGE_PROXIES)', () => {
  let worker: StartedApp;

  beforeAll(async () => {
    worker = await startWorker(`${RUN}-xff`, await liveRedis());
  });

  it('when the client varies the leftmost X-Forwarded-For entry, then every request still counts for the proxy-added address', async () => {
    // The socket peer (127.0.0.1, standing in for nginx) is a trusted hop, so req.ip is the
    // rightmost X-Forwarded-For entry, the one nginx writes; anything to the left of it is ignored.
    for (let i = 1; i <= LIMIT; i++) {
      const res = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', `203.0.113.${i}, 10.0.0.9`).expect(200);
      expect(res.body.ip).toBe('10.0.0.9');
    }
    const over = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', '198.51.100.77, 10.0.0.9');
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('RATE_LIMITED');
  });

  it('when another client address arrives, then it has a budget of its own', async () => {
    const res = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', '10.0.0.10').expect(200);
    expect(res.body.ip).toBe('10.0.0.10');
    const direct = await request(worker.baseUrl).get(`${PREFIX}/ping`).expect(200);
    expect(direct.body.ip).toBe('127.0.0.1');
  });
});

describe('client addresses from a peer that is no trusted hop (TRUSTED_PROXIES unset, EDGE_PROXIES not covering it)', () => {
  let worker: StartedApp;
  const limiterPrefix = `${RUN}-direct`;

  beforeAll(async () => {
    worker = await startWorker(limiterPrefix, await liveRedis(), proxiesFrom({ EDGE_PROXIES: '' }));
  });

  it('when a direct client rotates X-Forwarded-For values, then every request counts against its own address and the 11th gets 429', async () => {
    for (let i = 1; i <= LIMIT; i++) {
      const res = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', `192.0.2.${i}`).expect(200);
      expect(res.body.ip).toBe('127.0.0.1');
    }
    const over = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', '198.51.100.200');
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('RATE_LIMITED');
    expect(Number(await inspector.get(`rl:${limiterPrefix}:127.0.0.1`))).toBe(LIMIT + 1);
    expect(await inspector.exists(`rl:${limiterPrefix}:198.51.100.200`)).toBe(0);
  });
});

describe('client addresses behind a trusted front load balancer (TRUSTED_PROXIES=127.0.0.1/32, EDGE_PROXIES empty)', () => {
  let worker: StartedApp;
  const limiterPrefix = `${RUN}-lb`;

  beforeAll(async () => {
    worker = await startWorker(limiterPrefix, await liveRedis(), proxiesFrom({ TRUSTED_PROXIES: '127.0.0.1/32', EDGE_PROXIES: '' }));
  });

  it('when the balancer names a client, then the bucket is that client\'s: the first address from the right that is no trusted hop, whatever was spoofed left of it', async () => {
    for (let i = 1; i <= LIMIT; i++) {
      // Odd requests come straight from the balancer; even ones passed a second trusted hop on
      // this machine first (a TLS terminator in front of it), which the walk steps past as well.
      const chain = i % 2 === 1 ? `203.0.113.${i}, 198.51.100.7` : `203.0.113.${i}, 198.51.100.7, 127.0.0.1`;
      const res = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', chain).expect(200);
      expect({ chain, ip: res.body.ip }).toEqual({ chain, ip: '198.51.100.7' });
    }
    const over = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', '198.51.100.7');
    expect(over.status).toBe(429);
    expect(Number(await inspector.get(`rl:${limiterPrefix}:198.51.100.7`))).toBe(LIMIT + 1);
    for (let i = 1; i <= LIMIT; i++) expect(await inspector.exists(`rl:${limiterPrefix}:203.0.113.${i}`)).toBe(0);

    // Another client named by the balancer has a full budget; the balancer's own requests are its own.
    const other = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', '198.51.100.8').expect(200);
    expect(other.body.ip).toBe('198.51.100.8');
    expect(other.headers.ratelimit).toMatch(new RegExp(`r=${LIMIT - 1}\\b`));
    const itself = await request(worker.baseUrl).get(`${PREFIX}/ping`).expect(200);
    expect(itself.body.ip).toBe('127.0.0.1');
  });
});

describe('a limiter whose Redis is unreachable', () => {
  let worker: StartedApp;
  let dead: Redis;

  beforeAll(async () => {
    dead = createRedis({ url: `redis://127.0.0.1:${await closedPort()}`, logger, name: 'dead' });
    clients.push(dead);
    worker = await startWorker(`${RUN}-dead`, dead);
  });

  it('when requests keep coming, then it counts in worker memory: 200 up to the limit, then 429, never 5xx, never slow', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= LIMIT + 3; i++) {
      const t0 = performance.now();
      const res = await request(worker.baseUrl).get(`${PREFIX}/ping`);
      const ms = performance.now() - t0;
      expect({ request: i, fast: ms < 1_000 }).toEqual({ request: i, fast: true });
      statuses.push(res.status);
      if (res.status === 200) expect(res.headers.ratelimit).toMatch(new RegExp(`r=${LIMIT - i}\\b`));
      if (res.status === 429) expect(res.body.error.code).toBe('RATE_LIMITED');
    }
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), 429, 429, 429]);
    expect(dead.status).not.toBe('ready');
  });
});
