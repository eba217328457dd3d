import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findNginx, startNginx, stopNginx, testConfig, writeLocalConfig, type LocalNginx } from '../../scripts/lib/nginx.ts';
import { ecosystemFile, pm2, pm2Async, pm2List, pm2ListAsync, pm2OrThrow, type Pm2Process } from '../../scripts/lib/pm2.ts';

export const SERVICE_NAMES = ['catalog', 'order', 'search'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface Stack {
  home: string;
  ports: Record<ServiceName, number>;
  nginx: LocalNginx;
  /** nginx as this machine's clients reach it. */
  edge: string;
  env: NodeJS.ProcessEnv;
  workers(name?: ServiceName): Pm2Process[];
  /** workers() without blocking the event loop (load runs meanwhile). */
  workersAsync(name?: ServiceName): Promise<Pm2Process[]>;
  /** `pm2 <args>` on this stack's daemon, without blocking the event loop (load runs meanwhile). */
  pm2Async(args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
  stop(): Promise<void>;
}

/** PM2 homes and nginx pid files of stacks this process started, for cleanup whatever happens. */
const started: { pm2Home: string; pidFile: string; home: string }[] = [];

/**
 * Stops every stack this process started, including one whose start has not finished (a
 * beforeAll that timed out leaves no Stack object to stop, but its daemon must not outlive the run).
 */
export async function stopAllStacks(): Promise<void> {
  for (const entry of started.splice(0)) {
    await stopNginx(entry.pidFile);
    pm2(['kill'], { home: entry.pm2Home });
    // KEEP_STACK_HOME=1 leaves the stack's home (service logs, nginx logs) for a post-mortem.
    if (!process.env.KEEP_STACK_HOME) rmSync(entry.home, { recursive: true, force: true });
    else console.log(`stack home kept: ${entry.home}`);
  }
}

/** True when nothing listens on `port` on any address (a wildcard bind succeeds). */
/** PM2's processes of one service, or of all three (not its modules, such as pm2-logrotate). */
function serviceWorkers(name?: ServiceName): (p: Pm2Process) => boolean {
  return (p) => (name ? p.name === name : (SERVICE_NAMES as readonly string[]).includes(p.name));
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A free port below the kernel's ephemeral range. Other suites run in parallel and bind port 0;
 * a port picked from the ephemeral range could be handed to one of them between this check and
 * PM2 or nginx binding it. Below the range, only an explicit bind can take it.
 */
export async function freeFixedPort(taken: Set<number>): Promise<number> {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const top = Math.min((low ?? 32_768) - 1, 30_999);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (top - 20_000));
    if (!taken.has(port) && (await bindable(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port between 20000 and the ephemeral range');
}

/** GET → status, when the service answers at all. */
export function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false, timeout: 2_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0))
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy();
        resolve(0);
      });
  });
}

/**
 * The real stack, as `npm start` runs it, on ports and a PM2 home of its own: PM2 cluster mode
 * from ecosystem.config.js (`instances` workers per service) behind nginx rendered from
 * nginx/nginx.conf.template, listening on every interface. The database and Redis are the test
 * run's (the jest global setup resolves them).
 */
export async function startStack(options: { instances: number; env: NodeJS.ProcessEnv; staticRoot?: string }): Promise<Stack> {
  const nginxBin = findNginx();
  if (!nginxBin) throw new Error('nginx is not installed (Debian: apt-get install nginx): the edge tests need the real server');
  const home = mkdtempSync(path.join(os.tmpdir(), 'shop-e2e-'));
  // nginx's workers run as nobody under a root master: they write temp files (and an edge cache not in memory) under it.
  chmodSync(home, 0o755);
  const taken = new Set<number>();
  const ports = { catalog: await freeFixedPort(taken), order: await freeFixedPort(taken), search: await freeFixedPort(taken) };
  const edgePort = await freeFixedPort(taken);
  const nginx = writeLocalConfig({
    dir: path.join(home, 'nginx'),
    listen: `0.0.0.0:${edgePort}`,
    ports,
    // The load generator is one client: nginx's per-client limits must not be what it measures.
    rateLimit: '100000r/s',
    rateBurst: 100_000,
    connLimit: 10_000,
    ...(options.staticRoot ? { staticRoot: options.staticRoot } : {}),
    // The shipped edge cache (decision 0018); a machine whose nginx lacks its modules fails here.
    edgeCache: true,
  });
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    INSTANCES: String(options.instances),
    CATALOG_PORT: String(ports.catalog),
    ORDER_PORT: String(ports.order),
    SEARCH_PORT: String(ports.search),
    SHOP_LOG_DIR: path.join(home, 'logs'),
    JWT_SECRET: options.env.JWT_SECRET ?? randomBytes(32).toString('hex'),
    // The services purge this stack's nginx when a product changes (or what the caller names: a
    // proxy of its own in front of it, to lose purges on purpose).
    EDGE_PURGE_URLS: options.env.EDGE_PURGE_URLS ?? `http://127.0.0.1:${edgePort}`,
  };
  const pm2Home = path.join(home, 'pm2');
  const stack: Stack = {
    home,
    ports,
    nginx,
    edge: `http://127.0.0.1:${edgePort}`,
    env,
    workers: (name) => pm2List({ home: pm2Home }).filter(serviceWorkers(name)),
    workersAsync: async (name) => (await pm2ListAsync({ home: pm2Home })).filter(serviceWorkers(name)),
    pm2Async: (args, extraEnv) => pm2Async(args, { home: pm2Home, env: { ...env, ...extraEnv } }),
    stop: stopAllStacks,
  };
  started.push({ pm2Home, pidFile: stack.nginx.pidFile, home });
  try {
    pm2OrThrow(['start', ecosystemFile], { home: pm2Home, env });
    const deadline = Date.now() + 90_000;
    for (const name of SERVICE_NAMES) {
      while ((await status(`http://127.0.0.1:${ports[name]}/health/ready`)) !== 200) {
        if (Date.now() > deadline) throw new Error(`${name} did not become ready: ${pm2(['logs', '--nostream', '--lines', '40'], { home: pm2Home }).stdout}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const checked = testConfig(nginxBin, stack.nginx.conf, stack.nginx.prefix);
    if (!checked.ok) throw new Error(`nginx -t: ${checked.output}`);
    startNginx(nginxBin, stack.nginx);
    while ((await status(`${stack.edge}/api/catalog/health/ready`)) !== 200) {
      if (Date.now() > deadline) throw new Error('nginx did not pass requests to the catalog');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

/**
 * Drops the edge cache's entries of `path` in every encoding class (decision 0018), as a service
 * does after a change; throws unless nginx answered each purge (200 dropped, 404 none stored).
 */
export async function purgeEdge(stack: Pick<Stack, 'edge'>, path: string): Promise<void> {
  for (const encoding of ['br', 'gzip', 'identity']) {
    const res = await fetch(`${stack.edge}/_edge/purge/${encoding}${path}`, { method: 'PURGE' });
    if (res.status !== 200 && res.status !== 404) throw new Error(`edge purge of ${path} (${encoding}) answered ${res.status}`);
  }
}

/** Moves every stored listing or search answer of the edge cache to a new generation, as the services do. */
export async function bumpEdgeGeneration(stack: Pick<Stack, 'edge'>, kind: 'lists' | 'search'): Promise<void> {
  const res = await fetch(`${stack.edge}/_edge/generation/${kind}`, { method: 'PURGE' });
  if (res.status !== 200) throw new Error(`edge generation bump (${kind}) answered ${res.status}`);
}

/** This machine's first non-loopback IPv4 address: what "from outside" means here. */
export function externalAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address to test "from outside" with');
}
