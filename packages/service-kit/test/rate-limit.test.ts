import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Router } from 'express';
import request from 'supertest';
import { connectRedis, createRateLimiter, createRedis, createServiceApp, type Redis } from '../src/index.ts';
import { closedPort, closeRedis, requireRedisUrl, silentLogger, startApp, type StartedApp } from './helpers.ts';

const PREFIX = '/api/rl';
const LIMIT = 10;
const RUN = `test-${randomUUID()}`;
const logger = silentLogger();

const started: StartedApp[] = [];
const clients: Redis[] = [];

/** One "worker": its own app, server and Redis client, limiting with the shared `limiterPrefix`. */
async function startWorker(limiterPrefix: string, redis: Redis): Promise<StartedApp> {
  const router = Router();
  router.get('/ping', (req, res) => {
    res.json({ ok: true, ip: req.ip });
  });
  const limiter = createRateLimiter({ redis, prefix: limiterPrefix, windowMs: 60_000, max: LIMIT, logger });
  const app = createServiceApp({ service: 'rl', prefix: PREFIX, logger, healthChecks: [], routes: router, beforeRoutes: [limiter] });
  const worker = await startApp(app, logger);
  started.push(worker);
  return worker;
}

async function liveRedis(): Promise<Redis> {
  const client = createRedis({ url: requireRedisUrl(), logger, name: 'service-kit-rate-limit-test' });
  clients.push(client);
  if (!(await connectRedis(client, 2_000))) throw new Error(`cannot reach the test Redis at ${requireRedisUrl()}`);
  return client;
}

let inspector: Redis;

beforeAll(async () => {
  inspector = await liveRedis();
});

afterAll(async () => {
  await Promise.all(started.map((worker) => worker.stop()));
  let cursor = '0';
  do {
    const [next, keys] = await inspector.scan(cursor, 'MATCH', `rl:${RUN}*`, 'COUNT', 1_000);
    if (keys.length > 0) await inspector.del(...keys);
    cursor = next;
  } while (cursor !== '0');
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

describe('client addresses behind one trusted proxy hop', () => {
  let worker: StartedApp;

  beforeAll(async () => {
    worker = await startWorker(`${RUN}-xff`, await liveRedis());
  });

  it('when the client varies the leftmost X-Forwarded-For entry, then every request still counts for the proxy-added address', async () => {
    // Observed: trust proxy = 1 trusts the socket peer (127.0.0.1, standing in for nginx), so
    // req.ip is the rightmost X-Forwarded-For entry, the one nginx appends; anything a client
    // writes to the left of it is ignored.
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

  it('when a client bypasses the proxy and sets the last X-Forwarded-For entry itself, then that entry is believed (so the service must only be reachable through nginx)', async () => {
    const ips = new Set<string>();
    for (let i = 0; i < LIMIT + 2; i++) {
      const res = await request(worker.baseUrl).get(`${PREFIX}/ping`).set('X-Forwarded-For', `192.0.2.${i + 1}`).expect(200);
      ips.add(res.body.ip as string);
    }
    expect(ips.size).toBe(LIMIT + 2);
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
