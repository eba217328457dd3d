/**
 * The three reference points of BRIEF §5, and a fourth for a design choice, each started on this
 * machine for one bench run and stopped after it:
 *   ceiling  bare node:http constant JSON (ceiling-server.ts) behind nginx rendered from the same
 *            template as the stack's, every upstream pointing at it;
 *   before   before-server.ts: one process, no cache, no compression, no indexes, direct port;
 *   after    the real stack: catalog, order and search as PM2 clusters (ecosystem.config.js)
 *            behind nginx with its edge cache, on Redis, with the database's indexes;
 *   after-lane-only  design 1 alone (decision 0018): the after point's running services behind a
 *            second nginx without the edge cache, so every hit is the services' fast lane.
 *            The product scenario only (the edge cache holds product answers only).
 * The ceiling's nginx has no edge cache either: it would answer the constant server's JSON itself,
 * and the ceiling would be nginx's cache, not node:http behind nginx.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseConfigFields } from '@shop/service-kit';
import { EDGE_CACHE_PACKAGES, findNginx, startNginx, stopNginx, testConfig, writeLocalConfig } from '../lib/nginx.ts';
import { ecosystemFile, pm2, pm2List, pm2OrThrow } from '../lib/pm2.ts';
import { freePort } from '../lib/redis-server.ts';
import { childrenOf, type ProcessGroups } from './process-stats.ts';
import type { Scenario } from './scenarios.ts';

export const POINTS = ['ceiling', 'before', 'after', 'after-lane-only'] as const;
export type Point = (typeof POINTS)[number];

/** The scenarios the lane-only point runs: the only ones whose answers the edge cache holds. */
export const LANE_ONLY_SCENARIOS: readonly Scenario[] = ['product'];

/** The points a scenario is measured at, in POINTS order. */
export function pointsFor(scenario: Scenario): Point[] {
  return POINTS.filter((point) => point !== 'after-lane-only' || LANE_ONLY_SCENARIOS.includes(scenario));
}

export interface Target {
  point: Point;
  /** Where the load goes (127.0.0.1). */
  port: number;
  /** The processes whose CPU and memory count for this point. */
  groups(): ProcessGroups;
  /** Base URL of each service's own port, for /metrics (the points on the real services). */
  metricsUrls?: Record<'catalog' | 'search' | 'order', string>;
  /** The services' own ports (the after point), for a second edge in front of them. */
  upstreams?: Upstreams;
  /** nginx's /metrics/edge, when this point's nginx runs the edge cache (its hits never reach the services). */
  edgeMetricsUrl?: string;
  stop(): Promise<void>;
}

type Upstreams = { catalog: number; order: number; search: number };

const here = import.meta.dirname;

function forkServer(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(path.join(here, file), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start within 30 s`)), 30_000);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve({ child, port: message.port });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (${code}) before it listened`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A setting the bench runs with that differs from what `npm start` ships, and why. */
export interface BenchOverride {
  setting: string;
  value: string;
  shipped: string;
  why: string;
}

/**
 * Every setting of the measured stack ("after") that is not the shipped default (BRIEF §5: the
 * stack as shipped). The report prints them. Ports, the database, the cache prefix and the signing
 * secret are the bench's own (deployment facts, not tuning) and are not listed.
 */
const SERVICE_RATE_LIMIT_MAX = '1000000000';
const EDGE_LIMITS = { rateLimit: '1000000r/s', rateBurst: 1_000_000, connLimit: 10_000 };

export const BENCH_OVERRIDES: readonly BenchOverride[] = [
  {
    setting: 'RATE_LIMIT_MAX',
    value: SERVICE_RATE_LIMIT_MAX,
    shipped: '1200',
    why: 'the load comes from one client address: the per-client budget, not the stack, would be measured',
  },
  {
    setting: 'NGINX_RATE_LIMIT / NGINX_RATE_BURST / NGINX_CONN_LIMIT',
    value: `${EDGE_LIMITS.rateLimit} / ${EDGE_LIMITS.rateBurst} / ${EDGE_LIMITS.connLimit}`,
    shipped: '100r/s / 200 / 200',
    why: 'the same: nginx limits per client address (the ceiling and before points run behind the same nginx)',
  },
];

/**
 * nginx from the stack's template in its own directory, without the per-client limits (one client
 * is the load); with the edge cache only when asked (it fails when nginx lacks its modules).
 */
async function startEdge(dir: string, upstreams: Upstreams, edgeCache: boolean, port?: number): Promise<{ port: number; masterPid: () => number; stop(): Promise<void> }> {
  const nginx = findNginx();
  if (!nginx) throw new Error(`nginx is not installed (Debian: apt-get install nginx libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static ${EDGE_CACHE_PACKAGES})`);
  const listenPort = port ?? (await freePort());
  const local = writeLocalConfig({ dir, listen: `127.0.0.1:${listenPort}`, ports: upstreams, ...EDGE_LIMITS, edgeCache });
  const checked = testConfig(nginx, local.conf, local.prefix);
  if (!checked.ok) throw new Error(`nginx -t: ${checked.output}`);
  startNginx(nginx, local);
  return {
    port: listenPort,
    masterPid: () => Number(readFileSync(local.pidFile, 'utf8').trim()),
    stop: async () => void (await stopNginx(local.pidFile)),
  };
}

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startCeiling(): Promise<Target> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-bench-ceiling-'));
  const { child, port: appPort } = await forkServer('ceiling-server.ts', ['0'], {});
  const edge = await startEdge(dir, { catalog: appPort, order: appPort, search: appPort }, false).catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });
  await waitFor(`http://127.0.0.1:${edge.port}/api/catalog/anything`, 10_000);
  return {
    point: 'ceiling',
    port: edge.port,
    groups: () => ({ app: [child.pid ?? 0], edge: [edge.masterPid(), ...childrenOf(edge.masterPid())] }),
    stop: async () => {
      await edge.stop();
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBefore(options: { mongoUri: string; dbName: string; jwtSecret: string; dbPid?: number }): Promise<Target> {
  const { child, port } = await forkServer('before-server.ts', [], { BENCH_MONGODB_URI: options.mongoUri, BENCH_DB: options.dbName, JWT_SECRET: options.jwtSecret });
  return {
    point: 'before',
    port,
    groups: () => ({ app: [child.pid ?? 0], ...(options.dbPid ? { db: [options.dbPid] } : {}) }),
    stop: () => stopChild(child),
  };
}

/**
 * BENCH_OVERRIDES, and every service setting the bench's own environment sets (PM2 passes its
 * environment on to the services: `LOG_LEVEL=warn npm run bench` measures a quieter stack, and
 * the report must say so). JWT_SECRET's value is not shown.
 */
export function benchOverrides(environment: NodeJS.ProcessEnv = process.env): BenchOverride[] {
  const listed = new Set(BENCH_OVERRIDES.flatMap((o) => o.setting.split(' / ')));
  const fromEnvironment = Object.keys(baseConfigFields)
    .filter((name) => environment[name] !== undefined && !listed.has(name) && !BENCH_DEPLOYMENT_SETTINGS.includes(name))
    .map((name) => ({ setting: name, value: environment[name] ?? '', shipped: 'its default', why: 'set in the environment `npm run bench` ran in' }));
  // Worker flags (ecosystem.config.js) change what is measured, a profiler above all.
  const nodeArgs = environment.SHOP_NODE_ARGS
    ? [{ setting: 'SHOP_NODE_ARGS', value: environment.SHOP_NODE_ARGS, shipped: 'unset', why: 'set in the environment `npm run bench` ran in' }]
    : [];
  return [...BENCH_OVERRIDES, ...fromEnvironment, ...nodeArgs];
}

/** Settings of the measured services that are facts of the bench's deployment, not tuning. */
export const BENCH_DEPLOYMENT_SETTINGS = ['MONGODB_URI', 'MONGODB_DB', 'REDIS_URL', 'JWT_SECRET', 'CACHE_PREFIX', 'CATALOG_PORT', 'ORDER_PORT', 'SEARCH_PORT', 'SHOP_LOG_DIR', 'EDGE_PURGE_URLS'];

/**
 * The environment PM2 starts the measured services with: the deployment (`base`: database, Redis,
 * secret, cache prefix), their ports and log directory, and BENCH_OVERRIDES' service settings.
 * Everything else is the shipped default: NODE_ENV production (ecosystem.config.js), LOG_LEVEL
 * info, every middleware on.
 */
export function afterServiceEnv(base: NodeJS.ProcessEnv, ports: { catalog: number; order: number; search: number }, logDir: string): NodeJS.ProcessEnv {
  return {
    ...base,
    CATALOG_PORT: String(ports.catalog),
    ORDER_PORT: String(ports.order),
    SEARCH_PORT: String(ports.search),
    SHOP_LOG_DIR: logDir,
    RATE_LIMIT_MAX: SERVICE_RATE_LIMIT_MAX,
  };
}

export async function startAfter(options: { env: NodeJS.ProcessEnv; redisPid?: number; dbPid?: number }): Promise<Target> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-bench-after-'));
  const home = path.join(dir, 'pm2');
  const ports = { catalog: await freePort(), order: await freePort(), search: await freePort() };
  const edgePort = await freePort();
  // The services purge the edge cache of this point's nginx (decision 0018), as `npm start` sets up.
  const env = { ...afterServiceEnv(options.env, ports, path.join(dir, 'logs')), EDGE_PURGE_URLS: `http://127.0.0.1:${edgePort}` };
  const stopPm2 = (): void => {
    pm2(['kill'], { home, env });
  };
  try {
    pm2OrThrow(['start', ecosystemFile], { home, env });
    for (const [name, port] of Object.entries(ports)) await waitFor(`http://127.0.0.1:${port}/health/ready`, 90_000).catch((error: Error) => {
      throw new Error(`${name}: ${error.message}\n${pm2(['logs', '--nostream', '--lines', '30'], { home }).stdout}`);
    });
  } catch (error) {
    stopPm2();
    throw error;
  }
  // nginx's workers run as nobody under a root master, and write temp files (and an edge cache not in memory) under it.
  chmodSync(dir, 0o755);
  const edge = await startEdge(path.join(dir, 'nginx'), ports, true, edgePort).catch((error: unknown) => {
    stopPm2();
    throw error;
  });
  const workers = pm2List({ home }).filter((p) => ['catalog', 'order', 'search'].includes(p.name));
  return {
    point: 'after',
    port: edge.port,
    metricsUrls: { catalog: `http://127.0.0.1:${ports.catalog}`, search: `http://127.0.0.1:${ports.search}`, order: `http://127.0.0.1:${ports.order}` },
    upstreams: ports,
    edgeMetricsUrl: `http://127.0.0.1:${edgePort}/metrics/edge`,
    groups: () => ({
      app: workers.map((w) => w.pid),
      edge: [edge.masterPid(), ...childrenOf(edge.masterPid())],
      ...(options.redisPid ? { cache: [options.redisPid] } : {}),
      ...(options.dbPid ? { db: [options.dbPid] } : {}),
    }),
    stop: async () => {
      await edge.stop();
      stopPm2();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The lane-only point on the after point's services (no second stack): a second nginx without the
 * edge cache. Before it counts as started, one of 20 GETs of `probe` must be a fast-lane hit
 * (X-Cache HIT-FAST); it throws otherwise. Stopping it stops only its nginx.
 */
export async function startAfterLaneOnly(after: Target, probe: { path: string; headers: Record<string, string> }): Promise<Target & { probe: string[] }> {
  if (!after.upstreams) throw new Error("the lane-only point needs the after point's services");
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-bench-lane-only-'));
  const edge = await startEdge(dir, after.upstreams, false);
  const stop = async (): Promise<void> => {
    await edge.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  // A worker's lane answers an entry once its own pipeline has served it: a few GETs reach each worker.
  const seen: string[] = [];
  while (seen.length < 20 && seen.at(-1) !== '200 HIT-FAST') {
    const res = await fetch(`http://127.0.0.1:${edge.port}${probe.path}`, { headers: probe.headers });
    await res.arrayBuffer();
    seen.push(`${res.status} ${res.headers.get('x-cache') ?? '(none)'}`);
  }
  if (seen.at(-1) !== '200 HIT-FAST') {
    await stop();
    throw new Error(`the lane-only point does not reach the fast lane: GET ${probe.path} ${seen.length} times answered ${seen.join(', ')} (X-Cache)`);
  }
  const { edgeMetricsUrl: _edgeMetrics, ...services } = after;
  return {
    ...services,
    point: 'after-lane-only',
    port: edge.port,
    groups: () => ({ ...after.groups(), edge: [edge.masterPid(), ...childrenOf(edge.masterPid())] }),
    stop,
    probe: seen,
  };
}
