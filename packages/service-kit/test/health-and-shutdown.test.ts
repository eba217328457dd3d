import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express, { Router } from 'express';
import request from 'supertest';
import { createServiceApp, healthRouter, listen, type HealthCheck } from '../src/index.ts';
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

async function serviceWithChecks(checks: HealthCheck[]): Promise<StartedApp> {
  return startApp(createServiceApp({ service: 'hs', prefix: PREFIX, logger, healthChecks: checks, routes: Router() }), logger);
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
    bare.use(healthRouter('hs', [{ name: 'stuck', critical: true, check: () => new Promise(() => {}) }, up('redis', false)], 200));
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
