// npm start: the whole stack on embedded defaults, in the background, then a summary of URLs.
//   1. MongoDB: MONGODB_URI, else a server on 27017, else the stand-in (persisting to .data/).
//   2. Redis: one on REDIS_URL / 6379, else redis-server started if installed, else none (the
//      services then run their caches L1-only and count rate limits per worker, and say so).
//   3. Demo data seeded once (SEED_PRODUCTS, default 10 000), missing declared indexes created (never dropped: decision 0016).
//   4. PM2: catalog, order and search in cluster mode (ecosystem.config.js), one worker per core.
//   5. The storefront built into storefront/dist (hashed, precompressed assets; decision 0012).
//   6. nginx on :8080 (NGINX_LISTEN) if installed, with the config rendered from nginx/; otherwise
//      the services are reachable directly and the summary says so.
// The order service's demo sign-in (DEMO_SIGN_IN) is on unless the environment says otherwise.
// Re-running is safe: running pieces are kept (PM2 reloads the services without downtime, nginx
// reloads its config). `npm stop` stops what this started; .run/stack.json remembers what that is.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { seedCatalog } from '@shop/catalog/seed';
import { connectMongo, prepareDatabase, shopModels } from '@shop/db';
import { localMongo, SCRIPT_SOCKET_TIMEOUT_MS } from './lib/local-mongo.ts';
import { EDGE_CACHE_PACKAGES, findNginx, listenUrl, localProfile, runningNginxPid, startNginx, stopNginx, testConfig, writeLocalConfig } from './lib/nginx.ts';
import { ensureDirs, runDir } from './lib/paths.ts';
import { ecosystemFile, pm2, pm2List, pm2OrThrow } from './lib/pm2.ts';
import { hasRedisServer, isListening, startRedisServer } from './lib/redis-server.ts';
import { liveStack, readStack, writeStack, type StackState } from './lib/stack-state.ts';
import { buildStorefront } from './lib/storefront-build.ts';

const SEED_PRODUCTS = Number(process.env.SEED_PRODUCTS ?? 10_000);
/** PM2 installs its modules from the npm registry; this version is the one tested here. */
const PM2_LOGROTATE_VERSION = '3.0.0';
const SERVICES = [
  { name: 'catalog', port: Number(process.env.CATALOG_PORT ?? 3001), prefix: '/api/catalog' },
  { name: 'order', port: Number(process.env.ORDER_PORT ?? 3002), prefix: '/api/orders' },
  { name: 'search', port: Number(process.env.SEARCH_PORT ?? 3003), prefix: '/api/search' },
] as const;

const log = (scope: string, line: string): void => console.log(`[${scope}] ${line}`);

/** A signing secret of this checkout (.run/jwt-secret), made once; `npm run token` signs with it. */
function jwtSecret(): string {
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET;
  const file = path.join(runDir, 'jwt-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

async function ensureRedis(state: StackState): Promise<string | undefined> {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (await isListening(url.hostname, Number(url.port || 6379))) {
    log('redis', `using ${url.href}${state.redisPid ? ' (started by npm start)' : ''}`);
    return url.href;
  }
  if (process.env.REDIS_URL || !hasRedisServer()) {
    log(
      'redis',
      `WARNING: no Redis at ${url.href}. The services run without it: caches are L1-only per worker and ` +
        'rate limits count per worker. Install redis-server (Debian) for the full stack.',
    );
    return undefined;
  }
  const redis = await startRedisServer(6379, { detached: true });
  state.redisPid = redis.pid;
  writeStack(state);
  log('redis', `started redis-server at ${redis.url} (pid ${redis.pid})`);
  return redis.url;
}

async function ensureDemoData(uri: string, dbName: string): Promise<void> {
  const connection = await connectMongo({ uri, dbName, socketTimeoutMS: SCRIPT_SOCKET_TIMEOUT_MS });
  try {
    const models = shopModels(connection);
    await prepareDatabase(connection, Object.values(models), { by: 'npm start', log: (line) => log('indexes', line) }); // creates missing indexes, never drops
    const existing = await models.Product.estimatedDocumentCount();
    if (existing >= SEED_PRODUCTS) {
      log('seed', `${existing} products already in "${dbName}"`);
      return;
    }
    log('seed', `writing ${SEED_PRODUCTS} demo products into "${dbName}" (once) …`);
    let shown = 0;
    const result = await seedCatalog(models, {
      products: SEED_PRODUCTS,
      onProgress: (done, total) => {
        if (done === total || done - shown >= total / 5) {
          shown = done;
          log('seed', `${done}/${total}`);
        }
      },
    });
    log('seed', `done: ${result.products} products, ${result.stockRows} stock rows`);
  } finally {
    await connection.close();
  }
}

function ready(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/health/ready', timeout: 2_000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
      .on('error', () => resolve(false))
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy();
        resolve(false);
      });
  });
}

/** The storefront through nginx: 200 within a few seconds of nginx starting, or why not. */
async function checkStorefront(edge: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${edge}/`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        log('nginx', `storefront answers ${res.status} at ${edge}/`);
        return;
      }
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the storefront does not answer 200 at ${edge}/ (${last}); see .run/nginx/nginx-error.log`);
}

async function waitForServices(): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const service of SERVICES) {
    while (!(await ready(service.port))) {
      // Errored, or restarting in a loop (a worker that dies at start waits with growing delays).
      const failing = pm2List().some((p) => p.name === service.name && (p.pm2_env.status === 'errored' || p.pm2_env.restart_time >= 3));
      if (failing || Date.now() > deadline) {
        const tail = pm2(['logs', service.name, '--nostream', '--lines', '30']).stdout;
        throw new Error(`${service.name} is not ready on :${service.port}\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** pm2-logrotate (once per PM2 home): 10 MB per file, 7 kept, compressed. Skipped with SHOP_NO_LOGROTATE=1. */
function ensureLogRotation(): void {
  if (process.env.SHOP_NO_LOGROTATE === '1') return;
  if (pm2List().some((p) => p.name === 'pm2-logrotate')) return;
  log('pm2', 'installing pm2-logrotate (log rotation: 10 MB per file, 7 kept, gzip) …');
  const install = pm2(['install', `pm2-logrotate@${PM2_LOGROTATE_VERSION}`], { timeoutMs: 90_000 });
  if (install.status !== 0) {
    log('pm2', 'WARNING: pm2-logrotate could not be installed (offline?): logs in .run/logs are not rotated');
    return;
  }
  const settings: [string, string][] = [
    ['max_size', '10M'],
    ['retain', '7'],
    ['compress', 'true'],
  ];
  for (const [key, value] of settings) pm2(['set', `pm2-logrotate:${key}`, value]);
}

/** The URL of the nginx ensureNginx will run, when it will run the edge cache; otherwise undefined. */
function plannedEdgeCache(): string | undefined {
  if (!findNginx()) return undefined;
  const profile = localProfile();
  return profile.edgeCache ? listenUrl(profile.listen) : undefined;
}

async function ensureNginx(state: StackState): Promise<string | undefined> {
  const nginx = findNginx();
  if (!nginx) {
    // bootstrap (prestart) installs it when run as root on Debian; otherwise it printed the command.
    log(
      'nginx',
      'not installed, so no storefront and no edge limits: the services are reachable directly (below). ' +
        `Debian: sudo apt-get install -y nginx libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static ${EDGE_CACHE_PACKAGES}, then npm start again`,
    );
    return undefined;
  }
  const local = writeLocalConfig({ ports: { catalog: SERVICES[0].port, order: SERVICES[1].port, search: SERVICES[2].port } });
  const checked = testConfig(nginx, local.conf, local.prefix);
  if (!checked.ok) throw new Error(`nginx -t failed on ${local.conf}:\n${checked.output}`);
  let pid = runningNginxPid(local.pidFile);
  // nginx refuses to reload a cache zone onto another path (and keeps its old configuration): an
  // nginx whose edge cache was elsewhere (on disk, before it moved to memory) starts anew.
  const marker = path.join(local.prefix, 'edge-cache.path');
  const onDisk = path.join(local.prefix, 'edge-cache');
  const inUse = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : existsSync(onDisk) ? onDisk : '';
  if (pid !== null && inUse !== (local.edgeCachePath ?? '')) {
    await stopNginx(local.pidFile);
    log('nginx', `stopped: its edge cache moves from ${inUse || 'nowhere'} to ${local.edgeCachePath ?? 'nowhere'}`);
    pid = null;
  }
  if (local.edgeCachePath !== onDisk) rmSync(onDisk, { recursive: true, force: true });
  if (pid !== null) {
    process.kill(pid, 'SIGHUP');
    log('nginx', `reloaded its configuration (pid ${pid})`);
  } else {
    startNginx(nginx, local);
    writeFileSync(marker, `${local.edgeCachePath ?? ''}\n`);
    state.nginxPidFile = local.pidFile;
    writeStack(state);
    log('nginx', `started with ${local.conf}`);
  }
  if (!local.edgeCache) log('nginx', `without the edge cache (decision 0018): it needs ${EDGE_CACHE_PACKAGES}; the services answer every request`);
  return local.url;
}

async function main(): Promise<void> {
  ensureDirs();
  // Entries for processes that are gone (or were never ours after a reboot) are dropped.
  const state = liveStack(readStack());
  writeStack(state);
  const mongo = await localMongo({ detach: true });
  if (mongo.pid !== undefined) {
    state.standinPid = mongo.pid;
    writeStack(state);
  }
  const redisUrl = await ensureRedis(state);
  const dbName = process.env.MONGODB_DB ?? 'shop';
  await ensureDemoData(mongo.uri, dbName);

  // The storefront's "sign in as a demo customer" (decision 0012): on for this demo stack.
  const env: NodeJS.ProcessEnv = { MONGODB_URI: mongo.uri, MONGODB_DB: dbName, JWT_SECRET: jwtSecret(), DEMO_SIGN_IN: process.env.DEMO_SIGN_IN ?? 'true' };
  if (redisUrl) env.REDIS_URL = redisUrl;
  // The services purge the edge cache of the nginx started below (decision 0018); the file keeps
  // it for a `pm2 reload` by hand (ecosystem.config.js reads it when the variable is unset).
  const edgeCache = plannedEdgeCache();
  env.EDGE_PURGE_URLS = process.env.EDGE_PURGE_URLS ?? edgeCache ?? '';
  writeFileSync(path.join(runDir, 'edge-purge-urls'), `${env.EDGE_PURGE_URLS}\n`);
  log('pm2', 'starting (or reloading) catalog, order and search in cluster mode …');
  pm2OrThrow(['startOrReload', ecosystemFile, '--update-env'], { env });
  state.pm2 = true;
  writeStack(state);
  await waitForServices();
  const workers = pm2List().filter((p) => SERVICES.some((s) => s.name === p.name) && p.pm2_env.status === 'online');
  log('pm2', `online: ${SERVICES.map((s) => `${s.name} ×${workers.filter((w) => w.name === s.name).length}`).join(', ')}`);
  ensureLogRotation();

  const storefront = await buildStorefront();
  log('storefront', `built ${storefront.assets.map((a) => a.file).join(', ')}`);
  const edge = await ensureNginx(state);
  if (edge) await checkStorefront(edge);
  const base = edge ?? `http://127.0.0.1:${SERVICES[0].port}`;
  const at = (service: (typeof SERVICES)[number], rest: string): string => `${edge ?? `http://127.0.0.1:${service.port}`}${service.prefix}${rest}`;
  console.log(`
  ${edge ? `storefront  ${edge}/` : 'storefront  (needs nginx)'}
  catalog     ${at(SERVICES[0], '/products?limit=5')}
  search      ${at(SERVICES[2], '?q=laptop')}   type-ahead: ${at(SERVICES[2], '/suggest?q=lap')}
  orders      POST ${at(SERVICES[1], '')}  (token: npm run token -- --sub alice --role customer)
  health      ${SERVICES.map((s) => at(s, '/health/ready')).join('\n              ')}
  ${edge ? `nginx status ${edge}/nginx_status (from this machine only)` : `services    direct on 127.0.0.1:${SERVICES.map((s) => s.port).join(', :')} (no nginx)`}
  workers     npm run pm2 -- monit   ·   npm run pm2 -- ls   ·   logs in .run/logs
  stop        npm stop
  MongoDB: ${mongo.server} · Redis: ${redisUrl ?? 'none (L1-only)'} · Node ${process.version} · base ${base}
`);
}

try {
  await main();
} catch (error) {
  console.error(`[start] failed: ${(error as Error).message}`);
  console.error('[start] what did start is recorded in .run/stack.json: `npm stop` stops it');
  process.exit(1);
}
