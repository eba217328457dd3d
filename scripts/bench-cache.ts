// npm run bench:cache [-- --quick] [--requests N] [--duration S] [--connections C]
//
// What the HTTP cache costs and buys, on this machine, in one run. An Express 5 app (its own
// process, compression at 1 KB like the services) serves the same ~3 KB JSON product on:
//   /raw-constant/:id  no cache, zero-cost handler (a constant object)
//   /raw/:id           no cache, a simulated 1 ms DB read + JSON.stringify
//   /cached/:id        httpCache (L1 + L2) in front of /raw's handler → L1 hits once warm
//   /l2/:id            httpCache with l1: false in front of /raw's handler → every hit is an L2 hit
//   /floor/:id         extra baseline: the constant product pre-compressed (br) and sent as a Buffer,
//                      i.e. what an L1 hit sends, minus the cache lookup (cached − floor = the
//                      cache's own bookkeeping on a hit)
// (a) server time per request, measured inside the server (process.hrtime.bigint() from request
//     start to res 'finish'), for N sequential keep-alive requests per route;
// (b) req/s with autocannon (10 connections) for /cached vs /raw and /raw-constant vs /cached.
// Clients send `Accept-Encoding: br, gzip`. Prints a table, writes .run/bench-cache.json.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';
import { createCache, createRedisLayer, httpCache } from '@shop/cache-middleware';
import { compressResponses, createLogger, createRedis } from '@shop/service-kit';
import express, { type RequestHandler } from 'express';
import { cliArgs, intFlag } from './lib/args.ts';
import { ensureDirs, runDir } from './lib/paths.ts';
import { resolveRedis } from './lib/redis-server.ts';

const ROUTES = ['raw-constant', 'floor', 'raw', 'cached', 'l2'] as const;
type Route = (typeof ROUTES)[number];
/** Products the cached routes rotate over (all fit in L1). */
const IDS = 100;
const TARGET_L1_ADDED_US = 50;
const ACCEPT_ENCODING = 'br, gzip';

interface Summary {
  n: number;
  medianUs: number;
  p99Us: number;
  meanUs: number;
}

type ServerRequest = { id: number } & ({ cmd: 'reset' } | { cmd: 'stats' } | { cmd: 'stop' });
type ServerMessage =
  | { type: 'listening'; port: number }
  | { type: 'failed'; error: string }
  | { id: number; result: unknown };

/** ~3 KB of product JSON, the same for every route. */
function product(id: number): Record<string, unknown> {
  return {
    id,
    sku: `SKU-${String(id).padStart(6, '0')}`,
    slug: `product-${id}`,
    name: `Ergonomic Steel Chair ${id}`,
    brand: 'Perf Shop',
    price: { amount: 12_999 + id, currency: 'EUR', taxIncluded: true },
    stock: { available: 40 + (id % 13), reserved: id % 5, warehouse: 'eu-central-1' },
    categories: ['furniture', 'office', 'chairs'],
    attributes: Array.from({ length: 16 }, (_, i) => ({ name: `attribute-${i}`, value: `value ${i} for product ${id}` })),
    images: Array.from({ length: 6 }, (_, i) => `https://cdn.example.com/products/${id}/image-${i}.webp`),
    description: `A sturdy, comfortable chair for long working days (product ${id}). `.repeat(18),
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (index: number): number => sorted[Math.max(0, Math.min(sorted.length - 1, index))] ?? NaN;
  const middle = Math.floor(sorted.length / 2);
  return {
    n: sorted.length,
    medianUs: sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2,
    p99Us: at(Math.floor(0.99 * sorted.length)),
    meanUs: sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1),
  };
}

// ─────────────────────────────── server process (--serve) ───────────────────────────────

async function serve(redisUrl: string, prefix: string): Promise<void> {
  // The services' own fail-fast client settings (no offline queue, 250 ms command timeout).
  const redis = createRedis({ url: redisUrl, logger: createLogger('bench-cache', 'silent'), name: 'bench-cache' });
  const redisErrors: string[] = [];
  redis.on('error', (error: Error) => redisErrors.push(error.message));
  await redis.connect();
  const onError = (error: unknown, context: string): void => void redisErrors.push(`${context}: ${(error as Error).message}`);
  const layered = createCache({ redis, prefix: `${prefix}l1:`, onError });
  const l2Only = createCache({ redis, prefix: `${prefix}l2:`, l1: false, onError });

  const samples = new Map<Route, number[]>(ROUTES.map((r) => [r, []]));
  const constant = product(0);
  const dbRead = async (id: number): Promise<Record<string, unknown>> => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return product(id);
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Server time: request start → response handed to the OS, per route.
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const route = req.path.split('/')[1] as Route;
    const bucket = samples.get(route);
    if (bucket) res.once('finish', () => bucket.push(Number(process.hrtime.bigint() - started) / 1_000));
    next();
  });
  app.use(compressResponses({ threshold: 1024 }));
  app.get('/raw-constant/:id', (_req, res) => {
    res.json(constant);
  });
  // Clients here always accept br, so the floor always sends br (compressed like the cache does).
  const constantBr = brotliCompressSync(JSON.stringify(constant), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } });
  app.get('/floor/:id', (_req, res) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Encoding', 'br');
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Content-Length', constantBr.length);
    res.end(constantBr);
  });
  const fromDb: RequestHandler = async (req, res) => {
    res.json(await dbRead(Number(req.params.id)));
  };
  app.get('/raw/:id', fromDb);
  app.get('/cached/:id', httpCache({ cache: layered, namespace: 'bench', ttl: 600_000 }), fromDb);
  app.get('/l2/:id', httpCache({ cache: l2Only, namespace: 'bench', ttl: 600_000 }), fromDb);

  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  server.keepAliveTimeout = 30_000;

  const answer = (id: number, result: unknown): void => void process.send?.({ id, result } satisfies ServerMessage);
  process.on('message', (raw) => {
    const message = raw as ServerRequest;
    if (message.cmd === 'reset') {
      for (const bucket of samples.values()) bucket.length = 0;
      answer(message.id, { counters: { cached: layered.counters.snapshot(), l2: l2Only.counters.snapshot() } });
    } else if (message.cmd === 'stats') {
      answer(message.id, {
        routes: Object.fromEntries(ROUTES.map((r) => [r, summarize(samples.get(r) ?? [])])),
        counters: { cached: layered.counters.snapshot(), l2: l2Only.counters.snapshot() },
        redisErrors: redisErrors.slice(0, 10),
      });
    } else if (message.cmd === 'stop') {
      void (async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await Promise.all([layered.close(), l2Only.close()]);
        // Leave nothing of this run in a Redis that may be shared.
        await createRedisLayer({ redis, prefix }).clear();
        await redis.quit().catch(() => redis.disconnect());
        answer(message.id, { stopped: true });
        process.disconnect();
      })();
    }
  });
  process.on('disconnect', () => setTimeout(() => process.exit(0), 500).unref());
  process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port } satisfies ServerMessage);
}

// ─────────────────────────────── driver (the default) ───────────────────────────────

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  throughput: { average: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (
  options: { url: string; connections: number; duration: number; headers: Record<string, string>; renderProgressBar?: boolean },
  done: (error: Error | null, result: AutocannonResult) => void,
) => unknown;

class ServerProcess {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();
  readonly port: Promise<number>;

  constructor(redisUrl: string, prefix: string) {
    this.child = fork(import.meta.filename, ['--serve'], {
      env: { ...process.env, BENCH_REDIS_URL: redisUrl, BENCH_PREFIX: prefix },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.port = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`bench server exited with ${code} before listening`)));
      this.child.on('message', (raw) => {
        const message = raw as ServerMessage;
        if ('type' in message) {
          if (message.type === 'listening') resolve(message.port);
          else reject(new Error(message.error));
          return;
        }
        this.waiting.get(message.id)?.(message.result);
        this.waiting.delete(message.id);
      });
    });
  }

  call<T>(cmd: ServerRequest['cmd']): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench server: no answer to ${cmd}`)), 10_000);
      this.waiting.set(id, (result) => {
        clearTimeout(timer);
        resolve(result as T);
      });
      this.child.send({ id, cmd } satisfies ServerRequest);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    await this.call('stop').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Sequential keep-alive GETs; checks status and X-Cache, drains bodies. */
async function sequential(agent: http.Agent, port: number, route: Route, count: number, expectXCache?: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const pathname = `/${route}/${1 + (i % IDS)}`;
    const { status, xCache } = await new Promise<{ status: number; xCache: string | undefined }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: pathname, agent, headers: { 'accept-encoding': ACCEPT_ENCODING } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, xCache: res.headers['x-cache'] as string | undefined }));
      });
      req.on('error', reject);
    });
    if (status !== 200) throw new Error(`GET ${pathname} answered ${status}`);
    if (expectXCache && xCache !== expectXCache) throw new Error(`GET ${pathname}: X-Cache ${xCache}, expected ${expectXCache}`);
  }
}

const fmtUs = (us: number): string => (Number.isFinite(us) ? us.toFixed(1) : '—');
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function drive(options: { quick: boolean; requests: number; duration: number; connections: number }): Promise<void> {
  const runStarted = performance.now();
  const require = createRequire(import.meta.url);
  const autocannon = require('autocannon') as Autocannon;
  const redis = await resolveRedis();
  const prefix = `bench-cache-${randomUUID()}:`;
  const server = new ServerProcess(redis.url, prefix);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  try {
    const port = await server.port;
    console.log(
      `bench:cache — Node ${process.version}, Redis ${redis.url}${redis.started ? ' (started for this run)' : ''}, ` +
        `${options.requests} sequential requests/route, autocannon ${options.connections} connections × ${options.duration} s`,
    );

    // Warm-up: fill L1 and L2 for every id, and give the JIT the hot paths.
    const warm = Math.max(500, IDS * 2);
    for (const route of ROUTES) await sequential(agent, port, route, warm);
    await sequential(agent, port, 'cached', IDS, 'HIT-L1');
    await sequential(agent, port, 'l2', IDS, 'HIT-L2');

    // (a) server time, one route after the other, each request alone on the server.
    await server.call('reset');
    const expected: Partial<Record<Route, string>> = { cached: 'HIT-L1', l2: 'HIT-L2' };
    for (const route of ROUTES) await sequential(agent, port, route, options.requests, expected[route]);
    const stats = await server.call<{
      routes: Record<Route, Summary>;
      counters: Record<'cached' | 'l2', { hits: { l1: number; l2: number }; misses: number; l2Errors: number }>;
      redisErrors: string[];
    }>('stats');
    agent.destroy();

    // (b) throughput.
    const cannon = (route: Route): Promise<AutocannonResult> =>
      new Promise((resolve, reject) => {
        autocannon(
          {
            url: `http://127.0.0.1:${port}/${route}/1`,
            connections: options.connections,
            duration: options.duration,
            headers: { 'accept-encoding': ACCEPT_ENCODING },
            renderProgressBar: false,
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        );
      });
    const throughput: Partial<Record<Route, AutocannonResult>> = {};
    for (const route of ['raw', 'cached', 'raw-constant'] as const) {
      process.stdout.write(`autocannon /${route}/1 … `);
      const result = await cannon(route);
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        throw new Error(`/${route}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
      }
      throughput[route] = result;
      console.log(`${fmtInt(result.requests.average)} req/s`);
    }

    const r = stats.routes;
    const addedByL1 = r.cached.medianUs - r['raw-constant'].medianUs;
    const addedByL2 = r.l2.medianUs - r['raw-constant'].medianUs;
    const bookkeepingL1 = r.cached.medianUs - r.floor.medianUs;
    const rps = (route: Route): number => throughput[route]?.requests.average ?? NaN;

    console.log('\n(a) server time per request, µs (sequential keep-alive, measured in the server process)');
    console.table(
      Object.fromEntries(
        ROUTES.map((route) => [
          `/${route}`,
          { n: r[route].n, 'median µs': fmtUs(r[route].medianUs), 'p99 µs': fmtUs(r[route].p99Us), 'mean µs': fmtUs(r[route].meanUs) },
        ]),
      ),
    );
    console.log(
      `L1 hit: median ${fmtUs(r.cached.medianUs)} µs; L2 hit: median ${fmtUs(r.l2.medianUs)} µs; ` +
        `raw constant handler: median ${fmtUs(r['raw-constant'].medianUs)} µs\n` +
        `added by the cache on an L1 hit (L1-hit median − raw-constant median): ${fmtUs(addedByL1)} µs ` +
        `→ target ≤ ${TARGET_L1_ADDED_US} µs: ${addedByL1 <= TARGET_L1_ADDED_US ? 'MET' : 'NOT MET'}\n` +
        `added on an L2 hit (L2-hit median − raw-constant median): ${fmtUs(addedByL2)} µs\n` +
        `cache bookkeeping on an L1 hit (L1-hit median − floor median, same bytes sent): ${fmtUs(bookkeepingL1)} µs`,
    );

    console.log(`\n(b) throughput, autocannon ${options.connections} connections × ${options.duration} s, Accept-Encoding: ${ACCEPT_ENCODING}`);
    console.table(
      Object.fromEntries(
        (['raw', 'cached', 'raw-constant'] as const).map((route) => [
          `/${route}`,
          {
            'req/s': fmtInt(rps(route)),
            'p50 ms': throughput[route]?.latency.p50,
            'p99 ms': throughput[route]?.latency.p99,
            'MB/s': ((throughput[route]?.throughput.average ?? NaN) / 1e6).toFixed(2),
          },
        ]),
      ),
    );
    console.log(
      `/cached vs /raw (1 ms DB read + stringify): ${(rps('cached') / rps('raw')).toFixed(2)}× the req/s\n` +
        `/raw-constant vs /cached (overhead of the cache vs doing nothing): ${(rps('raw-constant') / rps('cached')).toFixed(2)}× ` +
        `(below 1: an L1 hit is cheaper than even a constant handler that is compressed per request)`,
    );
    if (stats.counters.cached.l2Errors + stats.counters.l2.l2Errors > 0) console.log(`Redis errors during the run: ${stats.redisErrors.join('; ')}`);

    const report = {
      at: new Date().toISOString(),
      node: process.version,
      redis: redis.url,
      quick: options.quick,
      sequentialRequestsPerRoute: options.requests,
      autocannon: { connections: options.connections, durationS: options.duration },
      acceptEncoding: ACCEPT_ENCODING,
      serverTimeUs: r,
      l1HitMedianUs: r.cached.medianUs,
      l2HitMedianUs: r.l2.medianUs,
      rawConstantMedianUs: r['raw-constant'].medianUs,
      addedByL1HitUs: addedByL1,
      addedByL2HitUs: addedByL2,
      floorMedianUs: r.floor.medianUs,
      l1BookkeepingUs: bookkeepingL1,
      targetL1AddedUs: TARGET_L1_ADDED_US,
      targetMet: addedByL1 <= TARGET_L1_ADDED_US,
      reqPerSec: { raw: rps('raw'), cached: rps('cached'), rawConstant: rps('raw-constant') },
      ratios: { cachedVsRaw: rps('cached') / rps('raw'), rawConstantVsCached: rps('raw-constant') / rps('cached') },
      latencyMs: Object.fromEntries(Object.entries(throughput).map(([k, v]) => [k, { p50: v.latency.p50, p99: v.latency.p99 }])),
      cacheCounters: stats.counters,
      durationS: (performance.now() - runStarted) / 1000,
    };
    ensureDirs();
    const file = path.join(runDir, 'bench-cache.json');
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${path.relative(process.cwd(), file) || file} (${report.durationS.toFixed(1)} s)`);
  } finally {
    agent.destroy();
    await server.stop();
    await redis.started?.stop();
  }
}

const args = cliArgs(
  {
    quick: { type: 'boolean', default: false },
    requests: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    serve: { type: 'boolean', default: false },
  },
  'npm run bench:cache -- [--quick] [--requests N] [--duration SECONDS] [--connections C]',
);

if (args.serve) {
  const url = process.env.BENCH_REDIS_URL;
  const prefix = process.env.BENCH_PREFIX;
  if (!url || !prefix) throw new Error('--serve is internal: started by bench-cache itself');
  serve(url, prefix).catch((error: unknown) => {
    process.send?.({ type: 'failed', error: (error as Error).message } satisfies ServerMessage);
    process.exitCode = 1;
    process.disconnect?.();
  });
} else {
  const quick = args.quick === true;
  await drive({
    quick,
    requests: intFlag('requests', args.requests, 5_000, 100, 1_000_000),
    duration: intFlag('duration', args.duration, quick ? 3 : 10, 1, 600),
    connections: intFlag('connections', args.connections, 10, 1, 1_000),
  });
}
