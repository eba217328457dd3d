import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Router, type Request, type Response } from 'express';
import { pino } from 'pino';
import {
  createRateLimiter,
  createRedis,
  createServiceApp,
  type Logger,
  type RateLimiter,
  type RateLimitOptions,
  type Redis,
} from '../src/index.ts';
import { leaseSizeFor } from '../src/leased-limiter.ts';
import { redisLeaseSource } from '../src/lease-script.ts';
import type { LeaseSource } from '../src/lease-source.ts';
import { createMemoryLeaseSource } from '../src/memory-lease-source.ts';
import { createWindowLru } from '../src/window-lru.ts';
import { closedPort, closeRedis, connectTestRedis, deleteKeys, silentLogger, sleep, startApp, type StartedApp } from './helpers.ts';

const PREFIX = '/api/rl';
const RUN = `test-${randomUUID()}`;
const logger = silentLogger();

const started: StartedApp[] = [];
const limiters: RateLimiter[] = [];
const clients: Redis[] = [];

interface Worker {
  baseUrl: string;
  limiter: RateLimiter;
}

interface Answer {
  status: number;
  policy: string | null;
  state: string | null;
  retryAfter: string | null;
}

/** One "worker": its own app, server and limiter; `forwardedFor` requests name the client through the (trusted) loopback hop. */
async function startWorker(options: Omit<RateLimitOptions, 'logger'> & { logger?: Logger }): Promise<Worker> {
  const router = Router();
  router.get('/ping', (req, res) => {
    res.json({ ip: req.ip });
  });
  const limiter = createRateLimiter({ logger, ...options });
  limiters.push(limiter);
  const app = createServiceApp({ service: 'rl', prefix: PREFIX, logger, healthChecks: [], routes: router, beforeRoutes: [limiter] });
  const server = await startApp(app, logger);
  started.push(server);
  return { baseUrl: server.baseUrl, limiter };
}

async function get(worker: Worker, forwardedFor?: string): Promise<Answer> {
  const res = await fetch(`${worker.baseUrl}${PREFIX}/ping`, { headers: forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {} });
  await res.arrayBuffer();
  return { status: res.status, policy: res.headers.get('ratelimit-policy'), state: res.headers.get('ratelimit'), retryAfter: res.headers.get('retry-after') };
}

/** `r=` of a `RateLimit` value. */
const remainingIn = (state: string | null | undefined): number => Number(/; r=(\d+);/.exec(state ?? '')?.[1]);

async function liveRedis(): Promise<Redis> {
  const client = await connectTestRedis('service-kit-rate-limit-leases-test', logger);
  clients.push(client);
  return client;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let inspector: Redis;

beforeAll(async () => {
  inspector = await liveRedis();
});

afterAll(async () => {
  for (const limiter of limiters) limiter.close();
  await Promise.all(started.map((server) => server.stop()));
  await deleteKeys(inspector, `rl:${RUN}*`);
  await Promise.all(clients.map((client) => closeRedis(client)));
});

describe('leases, whichever store grants them (the Redis script and worker memory follow the same rules)', () => {
  const sources: [string, (prefix: string, max: number, windowMs: number) => Promise<LeaseSource>][] = [
    ['redis', async (prefix, max, windowMs) => redisLeaseSource(await liveRedis(), prefix, max, windowMs)],
    ['memory', (_prefix, max, windowMs) => Promise.resolve(createMemoryLeaseSource(max, windowMs, 100))],
  ];

  it.each(sources)('when a lease from %s asks for more than is left, then it gets what is left and the count stops at max', async (name, make) => {
    const prefix = `${RUN}-contract-short-${name}`;
    const source = await make(prefix, 25, 60_000);
    expect(await source.lease('c', 10, true)).toMatchObject({ store: name, granted: 10, reserved: 10 });
    expect(await source.lease('c', 10, false)).toMatchObject({ granted: 10, reserved: 20 });
    expect(await source.lease('c', 10, true)).toMatchObject({ granted: 5, reserved: 25 });
    if (name === 'redis') expect(Number(await inspector.get(`rl:${prefix}:c`))).toBe(25);
  });

  it.each(sources)('when nothing is left in %s, then a request\'s refusal counts one more and a background refill\'s counts nothing', async (name, make) => {
    const prefix = `${RUN}-contract-refusal-${name}`;
    const source = await make(prefix, 3, 60_000);
    expect(await source.lease('c', 3, true)).toMatchObject({ granted: 3, reserved: 3 });
    expect(await source.lease('c', 2, false)).toMatchObject({ granted: 0, reserved: 3 });
    expect(await source.lease('c', 1, true)).toMatchObject({ granted: 0, reserved: 4 });
    if (name === 'redis') expect(Number(await inspector.get(`rl:${prefix}:c`))).toBe(4);
  });

  it.each(sources)('when the first lease from %s creates the count, then its window runs from there and later leases do not extend it', async (name, make) => {
    const prefix = `${RUN}-contract-window-${name}`;
    const source = await make(prefix, 100, 60_000);
    const before = performance.now();
    const first = await source.lease('c', 1, true);
    expect(first.windowEndsAt).toBeGreaterThan(before + 59_000);
    expect(first.windowEndsAt).toBeLessThanOrEqual(performance.now() + 60_000);
    await sleep(50);
    const second = await source.lease('c', 1, true);
    expect(second.windowEndsAt).toBeLessThanOrEqual(first.windowEndsAt + 5);
    if (name === 'redis') expect(await inspector.pttl(`rl:${prefix}:c`)).toBeLessThanOrEqual(60_000 - 50);
  });
});

describe('a limit of 1000 (leases of 10) shared by two workers', () => {
  const max = 1_000;
  const workerCount = 2;

  it('when the workers admit one client alternately, then it gets at most 1000 and at least 1000 − (W − 1) × L before its first 429, and never more than 1000', async () => {
    const prefix = `${RUN}-two-workers`;
    const workers = [await startWorker({ redis: await liveRedis(), prefix, windowMs: 60_000, max }), await startWorker({ redis: await liveRedis(), prefix, windowMs: 60_000, max })];
    let admitted = 0;
    let admittedBeforeFirstRefusal: number | undefined;
    const refusedBy = new Set<number>();
    for (let i = 0; refusedBy.size < workerCount; i++) {
      if (i > 2 * max) throw new Error(`no 429 from both workers after ${i} requests`);
      const { status } = await get(workers[i % workerCount]!);
      expect([200, 429]).toContain(status);
      if (status === 200) admitted += 1;
      else {
        admittedBeforeFirstRefusal ??= admitted;
        refusedBy.add(i % workerCount);
      }
    }
    const lease = leaseSizeFor(max);
    expect(lease).toBe(10);
    expect(admittedBeforeFirstRefusal).toBeLessThanOrEqual(max);
    expect(admittedBeforeFirstRefusal).toBeGreaterThanOrEqual(max - (workerCount - 1) * lease);
    expect(admitted).toBeLessThanOrEqual(max);
  });
});

describe('a burst from a new client', () => {
  it('when 20 requests of a new client reach the middleware at once, then one full lease is asked for and the others take one token each: the worker holds at most one lease unspent', async () => {
    const prefix = `${RUN}-burst`;
    const limiter = createRateLimiter({ redis: await liveRedis(), prefix, windowMs: 60_000, max: 1_000, logger });
    limiters.push(limiter);
    const response = { headersSent: false, append: () => response, setHeader: () => response } as unknown as Response;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => new Promise<unknown>((resolve) => limiter({ ip: '10.66.0.1' } as Request, response, resolve))),
    );
    expect(outcomes).toEqual(Array<unknown>(20).fill(undefined));
    const reserved = Number(await inspector.get(`rl:${prefix}:10.66.0.1`));
    expect(reserved - outcomes.length).toBeLessThanOrEqual(leaseSizeFor(1_000));
  });
});

describe('Redis round trips per request', () => {
  const requests = 2_000;

  it.each([1_000_000, 20_000])(
    'when one client sends 2 000 requests through one worker with max %d, then the limiter calls Redis about 2 000 / L times (refills included), not 2 000',
    async (max) => {
      const redis = await liveRedis();
      const worker = await startWorker({ redis, prefix: `${RUN}-round-trips-${max}`, windowMs: 60_000, max });
      // MONITOR shows every command Redis executes, with the address of the connection that sent it.
      const address = /\baddr=(\S+)/.exec(String(await redis.client('INFO')))?.[1];
      const monitor = await inspector.monitor();
      const sent: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source === address) sent.push(args);
      });
      try {
        for (let i = 0; i < requests; i++) expect((await get(worker)).status).toBe(200);
        // Commands from one connection arrive in order: once this one shows, every lease before it has.
        const marker = `end-${randomUUID()}`;
        await redis.echo(marker);
        await waitFor('the marker in MONITOR', () => sent.some((args) => args[1] === marker));
      } finally {
        monitor.disconnect();
      }
      const leases = sent.filter((args) => /^eval(sha)?$/i.test(args[0] ?? ''));
      const others = sent.filter((args) => !/^(eval(sha)?|echo)$/i.test(args[0] ?? ''));
      const lease = leaseSizeFor(max);
      const refill = lease - Math.floor(lease / 4);
      console.log(`max ${max}: lease ${lease}, ${requests} requests → ${leases.length} Redis calls (${sent.length - 1} commands in all)`);
      expect(others).toEqual([]);
      expect(leases.length).toBeGreaterThanOrEqual(Math.ceil(requests / lease));
      expect(leases.length).toBeLessThanOrEqual(Math.ceil(requests / refill) + 3);
      // The last argument says whether a request waited on the lease: only the first one did, the
      // rest were background refills.
      expect(leases.filter((args) => args.at(-1) === '1')).toHaveLength(1);
    },
  );
});

describe('admitNow (the fast lane\'s admission) and the middleware', () => {
  it('when no request has leased yet, then admitNow returns undefined; after one request it admits from the same bucket, and r= goes down across both paths', async () => {
    const prefix = `${RUN}-admit-now`;
    const worker = await startWorker({ redis: await liveRedis(), prefix, windowMs: 60_000, max: 1_000 });
    expect(worker.limiter.admitNow('127.0.0.1')).toBeUndefined();

    const first = await get(worker);
    expect(first.status).toBe(200);
    expect(remainingIn(first.state)).toBe(999);
    const second = worker.limiter.admitNow('127.0.0.1');
    expect(second?.policy).toBe(first.policy);
    expect(remainingIn(second?.state)).toBe(998);
    expect(remainingIn(worker.limiter.admitNow('127.0.0.1')?.state)).toBe(997);
    const fourth = await get(worker);
    expect(remainingIn(fourth.state)).toBe(996);
    expect(fourth.policy).toBe(first.policy);

    // One lease of 10 served all four; another client holds nothing here.
    expect(Number(await inspector.get(`rl:${prefix}:127.0.0.1`))).toBe(10);
    expect(worker.limiter.admitNow('10.9.9.9')).toBeUndefined();
  });

  it('when a client spends a limit of 400 through admitNow and the middleware together, then exactly 400 are admitted and admitNow then refuses', async () => {
    const max = 400;
    const worker = await startWorker({ redis: await liveRedis(), prefix: `${RUN}-mixed`, windowMs: 60_000, max });
    let admitted = 0;
    let fast = 0;
    for (let i = 0; ; i++) {
      if (i > 2 * max) throw new Error('no 429');
      if (worker.limiter.admitNow('127.0.0.1')) {
        admitted += 1;
        fast += 1;
        continue;
      }
      const { status, retryAfter } = await get(worker);
      if (status === 429) {
        expect(Number(retryAfter)).toBeGreaterThan(0);
        break;
      }
      admitted += 1;
    }
    expect(admitted).toBe(max);
    expect(fast).toBeGreaterThan(max / 2);
    expect(worker.limiter.admitNow('127.0.0.1')).toBeUndefined();
  });

  it('when a limit is below 200 (single-token leases), then admitNow never admits: every request is counted in Redis', async () => {
    const worker = await startWorker({ redis: await liveRedis(), prefix: `${RUN}-single-token`, windowMs: 60_000, max: 150 });
    expect(leaseSizeFor(150)).toBe(1);
    for (let i = 1; i <= 3; i++) {
      expect(remainingIn((await get(worker)).state)).toBe(150 - i);
      expect(worker.limiter.admitNow('127.0.0.1')).toBeUndefined();
    }
  });
});

describe('windows', () => {
  it('when a window of 1 s ends, then a client that was refused has its full budget of 10 again', async () => {
    const prefix = `${RUN}-window-reset`;
    const worker = await startWorker({ redis: await liveRedis(), prefix, windowMs: 1_000, max: 10 });
    for (let i = 1; i <= 10; i++) expect((await get(worker)).status).toBe(200);
    const refused = await get(worker);
    expect(refused).toMatchObject({ status: 429, retryAfter: '1' });
    expect((await get(worker)).status).toBe(429);

    await waitFor('the window to end in Redis', async () => (await inspector.exists(`rl:${prefix}:127.0.0.1`)) === 0);
    for (let i = 1; i <= 10; i++) {
      const res = await get(worker);
      expect({ i, status: res.status, r: remainingIn(res.state) }).toEqual({ i, status: 200, r: 10 - i });
    }
    expect((await get(worker)).status).toBe(429);
  });

  it('when a window of 2 s ends while the worker still holds tokens of it (leases of 3), then they are not carried over: the next window admits exactly its 300', async () => {
    const max = 300;
    const prefix = `${RUN}-window-leases`;
    const worker = await startWorker({ redis: await liveRedis(), prefix, windowMs: 2_000, max });
    expect(remainingIn((await get(worker)).state)).toBe(max - 1);
    expect(worker.limiter.admitNow('127.0.0.1')).toBeDefined();

    await waitFor('the window to end in Redis', async () => (await inspector.exists(`rl:${prefix}:127.0.0.1`)) === 0);
    let admitted = 0;
    for (;;) {
      if (admitted > max) break;
      if (worker.limiter.admitNow('127.0.0.1')) admitted += 1;
      else if ((await get(worker)).status === 200) admitted += 1;
      else break;
    }
    expect(admitted).toBe(max);
  });
});

describe('memory under a flood of distinct clients', () => {
  it('when 1 000 distinct clients reach a worker that keeps 100, then it holds buckets for the 100 most recent only', async () => {
    const worker = await startWorker({ redis: await liveRedis(), prefix: `${RUN}-flood`, windowMs: 60_000, max: 1_000, maxClients: 100 });
    const clientsSeen = Array.from({ length: 1_000 }, (_, i) => `10.77.${i >> 8}.${i & 255}`);
    for (const ip of clientsSeen) expect((await get(worker, ip)).status).toBe(200);
    // Each of them leased 10 tokens and spent one: admitNow admits exactly those whose bucket is still held.
    const held = clientsSeen.filter((ip) => worker.limiter.admitNow(ip) !== undefined);
    expect(held).toEqual(clientsSeen.slice(-100));
  });

  it('when more distinct clients arrive than a worker keeps, then the least recently used go first and ended windows are swept', () => {
    const lru = createWindowLru<{ windowEndsAt: number }>(3);
    for (const key of ['a', 'b', 'c']) lru.set(key, { windowEndsAt: 100 });
    lru.get('a');
    lru.set('d', { windowEndsAt: 200 });
    expect(['a', 'b', 'c', 'd'].filter((key) => lru.get(key) !== undefined)).toEqual(['a', 'c', 'd']);
    for (let i = 0; i < 10_000; i++) lru.set(`flood-${i}`, { windowEndsAt: 100 });
    expect(lru.size).toBe(3);
    lru.set('later', { windowEndsAt: 200 });
    lru.sweep(150);
    expect(lru.size).toBe(1);
    expect(lru.get('later')).toEqual({ windowEndsAt: 200 });
  });

  it('when Redis is down and more distinct clients arrive than a worker keeps, then its memory counts stay bounded: the oldest client is forgotten and starts over', async () => {
    const dead = createRedis({ url: `redis://127.0.0.1:${await closedPort()}`, logger, name: 'dead' });
    clients.push(dead);
    const worker = await startWorker({ redis: dead, prefix: `${RUN}-flood-dead`, windowMs: 60_000, max: 2, maxClients: 10 });
    expect((await get(worker, '10.88.0.1')).status).toBe(200);
    expect((await get(worker, '10.88.0.1')).status).toBe(200);
    expect((await get(worker, '10.88.0.1')).status).toBe(429);
    for (let i = 2; i <= 30; i++) expect((await get(worker, `10.88.0.${i}`)).status).toBe(200);
    const again = await get(worker, '10.88.0.1');
    expect(again.status).toBe(200);
    expect(remainingIn(again.state)).toBe(1);
  });
});

describe('Redis failing and coming back', () => {
  it('when Redis had refused a client and then fails, then the worker counts that client in its own memory afresh, as documented for an outage', async () => {
    const redis = await liveRedis();
    const worker = await startWorker({ redis, prefix: `${RUN}-refused-then-down`, windowMs: 60_000, max: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(worker)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    await inspector.client('KILL', 'ID', String(await redis.client('ID')));
    await waitFor('the limiter\'s client to notice', () => redis.status !== 'ready');
    // The first request after the failure is counted in memory (the client may reconnect soon after).
    expect((await get(worker)).status).toBe(200);
  });

  it('when Redis drops the limiter\'s connection, then it counts in worker memory without slowing, warns once, and returns to the shared count by itself', async () => {
    const warnings: string[] = [];
    const capturing = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const prefix = `${RUN}-recovery`;
    const redis = await liveRedis();
    const worker = await startWorker({ redis, prefix, windowMs: 60_000, max: 10, logger: capturing });
    for (let i = 1; i <= 3; i++) expect(remainingIn((await get(worker)).state)).toBe(10 - i);

    await inspector.client('KILL', 'ID', String(await redis.client('ID')));
    await waitFor('the limiter\'s client to notice', () => redis.status !== 'ready');
    const failedAt = performance.now();
    for (let i = 1; i <= 2; i++) {
      const t0 = performance.now();
      const res = await get(worker);
      expect({ status: res.status, r: remainingIn(res.state), fast: performance.now() - t0 < 500 }).toEqual({ status: 200, r: 10 - i, fast: true });
    }

    await waitFor('the client to reconnect', () => redis.status === 'ready');
    await sleep(Math.max(0, 2_100 - (performance.now() - failedAt)));
    const back = await get(worker);
    expect({ status: back.status, r: remainingIn(back.state) }).toEqual({ status: 200, r: 6 });
    expect(Number(await inspector.get(`rl:${prefix}:127.0.0.1`))).toBe(4);
    expect(warnings.filter((line) => line.includes('rate limit store unavailable'))).toHaveLength(1);
  });
});
