import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express, { Router } from 'express';
import request from 'supertest';
import { createAuth, createServiceApp, DEV_JWT_SECRET, healthRouter, listen, type Auth, type HealthCheck, type ProxySettings } from '../src/index.ts';
import { silentLogger, sleep, startApp, type StartedApp } from './helpers.ts';

const logger = silentLogger();
const PREFIX = '/api/hs';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(url: string, agent: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const up = (name: string, critical: boolean): HealthCheck => ({ name, critical, check: async () => 'pong' });
const down = (name: string, critical: boolean): HealthCheck => ({
  name,
  critical,
  check: async () => {
    throw new Error(`${name} refused the connection`);
  },
});

async function serviceWithChecks(checks: HealthCheck[], more: { auth?: Auth; proxies?: ProxySettings } = {}): Promise<StartedApp> {
  return startApp(createServiceApp({ service: 'hs', prefix: PREFIX, logger, healthChecks: checks, routes: Router(), ...more }), logger);
}

describe('health routes', () => {
  const apps: StartedApp[] = [];
  let degraded: StartedApp;
  let unavailable: StartedApp;
  let hanging: StartedApp;

  beforeAll(async () => {
    degraded = await serviceWithChecks([up('mongodb', true), down('redis', false)]);
    unavailable = await serviceWithChecks([down('mongodb', true), up('redis', false)]);
    const bare = express();
    bare.use(healthRouter('hs', [{ name: 'stuck', critical: true, check: () => new Promise(() => {}) }, up('redis', false)], { timeoutMs: 200 }));
    hanging = await startApp(bare, logger);
    apps.push(degraded, unavailable, hanging);
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
  });

  it('when a non-critical dependency is down, then /health/ready is 200 "degraded" with each dependency', async () => {
    const res = await request(degraded.baseUrl).get('/health/ready').expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ status: 'degraded', service: 'hs', pid: process.pid });
    expect(res.body.dependencies.mongodb).toEqual({ status: 'up', critical: true, latencyMs: expect.any(Number) });
    expect(res.body.dependencies.redis).toEqual({
      status: 'down',
      critical: false,
      latencyMs: expect.any(Number),
      error: 'redis refused the connection',
    });
    await request(degraded.baseUrl).get(`${PREFIX}/health/ready`).expect(200);
  });

  it('when a critical dependency is down, then /health/ready is 503 "unavailable"', async () => {
    const res = await request(unavailable.baseUrl).get('/health/ready').expect(503);
    expect(res.body.status).toBe('unavailable');
    expect(res.body.dependencies.mongodb.status).toBe('down');
    expect(res.body.dependencies.redis.status).toBe('up');
  });

  it('when a check never answers, then it is reported down once the timeout passes', async () => {
    const t0 = performance.now();
    const res = await request(hanging.baseUrl).get('/health/ready').expect(503);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1_000);
    expect(res.body.dependencies.stuck).toMatchObject({ status: 'down', critical: true, error: 'no answer within 200 ms' });
    expect(res.body.dependencies.stuck.latencyMs).toBeGreaterThanOrEqual(190);
  });

  it('when dependencies are down, then liveness /health still answers 200', async () => {
    for (const app of [degraded, unavailable, hanging]) {
      const res = await request(app.baseUrl).get('/health').expect(200);
      expect(res.body).toMatchObject({ status: 'ok', service: 'hs' });
    }
    await request(unavailable.baseUrl).get(`${PREFIX}/health`).expect(200);
  });
});

describe('who sees the health detail (decision 0017)', () => {
  const SECRET = 'health-detail-secret-0123456789abcdefghij';
  const auth = createAuth(SECRET);
  // nginx on loopback (the default EDGE_PROXIES) relays a client from the internet.
  const PUBLIC = { 'X-Forwarded-For': '203.0.113.9' };
  const apps: StartedApp[] = [];
  let degraded: StartedApp;
  let unavailable: StartedApp;
  let tokens: { admin: string; customer: string; foreign: string };

  beforeAll(async () => {
    degraded = await serviceWithChecks([up('mongodb', true), down('redis', false)], { auth });
    unavailable = await serviceWithChecks([down('mongodb', true), up('redis', false)], { auth });
    apps.push(degraded, unavailable);
    tokens = {
      admin: await auth.sign({ id: 'ops', role: 'admin' }),
      customer: await auth.sign({ id: 'alice', role: 'customer' }),
      foreign: await createAuth('another-secret-0123456789abcdefghijkl').sign({ id: 'ops', role: 'admin' }),
    };
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
  });

  it('when a client that is not local asks /health/ready through the nginx hop, then it gets only {status, service}, with the same status code and no-store; a local caller gets the detail', async () => {
    for (const path of ['/health/ready', `${PREFIX}/health/ready`]) {
      const ok = await request(degraded.baseUrl).get(path).set(PUBLIC).expect(200);
      expect(ok.body).toEqual({ status: 'degraded', service: 'hs' });
      expect(ok.headers['cache-control']).toBe('no-store');
      const failing = await request(unavailable.baseUrl).get(path).set(PUBLIC).expect(503);
      expect(failing.body).toEqual({ status: 'unavailable', service: 'hs' });
      expect(failing.headers['cache-control']).toBe('no-store');
    }
    // The monitor, PM2 and container health checks ask from this machine: the pid and each dependency.
    const ready = await request(unavailable.baseUrl).get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', service: 'hs', pid: process.pid });
    expect(ready.body.dependencies.mongodb).toEqual({ status: 'down', critical: true, latencyMs: expect.any(Number), error: 'mongodb refused the connection' });
    // Through nginx from this machine: nginx names 127.0.0.1.
    const relayed = await request(unavailable.baseUrl).get('/health/ready').set('X-Forwarded-For', '127.0.0.1').expect(503);
    expect(relayed.body.dependencies.redis).toEqual({ status: 'up', critical: false, latencyMs: expect.any(Number) });
  });

  it('when a client that is not local asks /health, then it gets {status: "ok", service} without the pid; a local caller gets the pid and uptime', async () => {
    const res = await request(degraded.baseUrl).get(`${PREFIX}/health`).set(PUBLIC).expect(200);
    expect(res.body).toEqual({ status: 'ok', service: 'hs' });
    expect(res.headers['cache-control']).toBe('no-store');
    const live = await request(unavailable.baseUrl).get('/health').expect(200);
    expect(live.body).toEqual({ status: 'ok', service: 'hs', pid: process.pid, uptimeSeconds: expect.any(Number) });
  });

  it('when a client that is not local bears an admin token, then it gets the detail; a customer, foreign or malformed token gets the plain answer, never a 401', async () => {
    const admin = await request(degraded.baseUrl).get('/health/ready').set(PUBLIC).set('Authorization', `Bearer ${tokens.admin}`).expect(200);
    expect(admin.body).toMatchObject({ status: 'degraded', service: 'hs', pid: process.pid, dependencies: { redis: { status: 'down', error: 'redis refused the connection' } } });
    const adminLive = await request(degraded.baseUrl).get('/health').set(PUBLIC).set('Authorization', `Bearer ${tokens.admin}`).expect(200);
    expect(adminLive.body.pid).toBe(process.pid);
    for (const header of [`Bearer ${tokens.customer}`, `Bearer ${tokens.foreign}`, 'Bearer not-a-token-at-all', `Basic ${tokens.admin}`]) {
      const res = await request(degraded.baseUrl).get('/health/ready').set(PUBLIC).set('Authorization', header);
      expect({ header: header.slice(0, 12), status: res.status, body: res.body }).toEqual({ header: header.slice(0, 12), status: 200, body: { status: 'degraded', service: 'hs' } });
    }
  });

  it('when a loopback peer that is not a trusted hop relays a client (EDGE_PROXIES emptied while nginx runs on this host), then the answer is still the plain one', async () => {
    const untrusting = await serviceWithChecks([up('mongodb', true)], { auth, proxies: { EDGE_PROXIES: [], TRUSTED_PROXIES: [] } });
    apps.push(untrusting);
    const relayed = await request(untrusting.baseUrl).get('/health/ready').set(PUBLIC).expect(200);
    expect(relayed.body).toEqual({ status: 'ready', service: 'hs' });
    const direct = await request(untrusting.baseUrl).get('/health/ready').expect(200);
    expect(direct.body.dependencies).toEqual({ mongodb: { status: 'up', critical: true, latencyMs: expect.any(Number) } });
  });

  it('when the app is given no verifier, then admin tokens for JWT_SECRET as the config resolves it from the environment (the dev secret unless one is exported) are honoured, others are not', async () => {
    const fromEnv = await serviceWithChecks([up('mongodb', true)]);
    apps.push(fromEnv);
    const devAdmin = await createAuth(process.env.JWT_SECRET ?? DEV_JWT_SECRET).sign({ id: 'ops', role: 'admin' });
    const honoured = await request(fromEnv.baseUrl).get('/health/ready').set(PUBLIC).set('Authorization', `Bearer ${devAdmin}`).expect(200);
    expect(honoured.body.dependencies.mongodb.status).toBe('up');
    const refused = await request(fromEnv.baseUrl).get('/health/ready').set(PUBLIC).set('Authorization', `Bearer ${tokens.admin}`).expect(200);
    expect(refused.body).toEqual({ status: 'ready', service: 'hs' });
  });
});

describe('graceful shutdown', () => {
  const agents: http.Agent[] = [];
  const keepAliveAgent = (): http.Agent => {
    const agent = new http.Agent({ keepAlive: true });
    agents.push(agent);
    return agent;
  };

  afterAll(() => {
    for (const agent of agents) agent.destroy();
  });

  /** A service whose /slow route takes 500 ms; `entered` resolves when a /slow request arrives. */
  async function slowService(): Promise<{ app: StartedApp; entered: Promise<void> }> {
    let signal!: () => void;
    const entered = new Promise<void>((resolve) => (signal = resolve));
    const router = Router();
    router.get('/slow', async (_req, res) => {
      signal();
      await sleep(500);
      res.json({ done: true });
    });
    router.get('/fast', (_req, res) => {
      res.json({ fast: true });
    });
    const app = await startApp(createServiceApp({ service: 'hs', prefix: PREFIX, logger, healthChecks: [], routes: router }), logger);
    return { app, entered };
  }

  describe('when stop() begins while a keep-alive request is in flight', () => {
    const STOP_TIMEOUT_MS = 3_000;
    let inFlight: Answer;
    let refused: unknown;
    let stopMs: number;
    let app: StartedApp;

    beforeAll(async () => {
      const service = await slowService();
      app = service.app;
      const pending = get(`${app.baseUrl}${PREFIX}/slow`, keepAliveAgent());
      await service.entered;

      const t0 = performance.now();
      const stopped = app.running.stop(STOP_TIMEOUT_MS).then(() => (stopMs = performance.now() - t0));
      expect(app.running.stopping).toBe(true);
      refused = await get(`${app.baseUrl}${PREFIX}/fast`, false).then(
        () => undefined,
        (error: unknown) => error,
      );
      inFlight = await pending;
      await stopped;
    });

    it('then the in-flight request still completes with 200', () => {
      expect(inFlight.status).toBe(200);
      expect(JSON.parse(inFlight.body)).toEqual({ done: true });
    });

    it('then new connections are refused', () => {
      expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
      expect(app.running.server.listening).toBe(false);
    });

    it('then the in-flight answer carries Connection: close', () => {
      expect(inFlight.headers.connection).toBe('close');
    });

    it('then stop() resolves as soon as the request is done, not at the forced timeout', () => {
      expect(stopMs).toBeGreaterThanOrEqual(300);
      expect(stopMs).toBeLessThan(1_500);
    });
  });

  it('when a keep-alive socket sits idle, then stop() does not wait for it', async () => {
    const { app } = await slowService();
    const agent = keepAliveAgent();
    const first = await get(`${app.baseUrl}${PREFIX}/fast`, agent);
    expect(first.status).toBe(200);
    expect(first.headers.connection).toBe('keep-alive');
    await sleep(20);
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);

    const t0 = performance.now();
    await app.running.stop(5_000);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('when stop() is called twice, then the second call returns at once', async () => {
    const { app } = await slowService();
    await app.running.stop(1_000);
    await expect(app.running.stop(1_000)).resolves.toBeUndefined();
  });

  describe('with a drain period (SHUTDOWN_DRAIN_MS, as under PM2)', () => {
    const DRAIN_MS = 1_500;

    async function drainingService() {
      const router = Router();
      router.get('/fast', (_req, res) => {
        res.json({ fast: true });
      });
      const app = createServiceApp({ service: 'hs', prefix: PREFIX, logger, healthChecks: [], routes: router });
      const running = await listen(app, { port: 0, host: '127.0.0.1', logger, drainMs: DRAIN_MS });
      return { running, url: `http://127.0.0.1:${running.port}${PREFIX}/fast` };
    }

    it('when a pooled keep-alive connection is used during the drain, then the request is answered with Connection: close and stop() ends once it closes', async () => {
      const { running, url } = await drainingService();
      const agent = keepAliveAgent();
      expect((await get(url, agent)).headers.connection).toBe('keep-alive');
      await sleep(20);

      const t0 = performance.now();
      const stopped = running.stop(5_000).then(() => performance.now() - t0);
      await sleep(100);
      // While a connection is still open, the listener is too: a new connection is served.
      const fresh = await get(url, false);
      expect(fresh.status).toBe(200);
      expect(fresh.headers.connection).toBe('close');
      // The proxy's next request on its pooled connection: answered, not reset.
      const during = await get(url, agent);
      expect(during.status).toBe(200);
      expect(during.headers.connection).toBe('close');
      const stopMs = await stopped;
      expect(stopMs).toBeLessThan(DRAIN_MS);
      expect(running.server.listening).toBe(false);
    });

    it('when a pooled connection stays idle through the drain, then it is closed when the drain ends, not at the forced timeout', async () => {
      const { running, url } = await drainingService();
      const agent = keepAliveAgent();
      await get(url, agent);
      await sleep(20);
      const t0 = performance.now();
      await running.stop(10_000);
      const stopMs = performance.now() - t0;
      expect(stopMs).toBeGreaterThanOrEqual(DRAIN_MS - 50);
      expect(stopMs).toBeLessThan(DRAIN_MS + 1_000);
    });

    it('when no connection is open, then stop() does not wait for the drain', async () => {
      const { running } = await drainingService();
      const t0 = performance.now();
      await running.stop(10_000);
      expect(performance.now() - t0).toBeLessThan(500);
    });
  });
});
