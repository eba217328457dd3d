// npm run bench:search [-- --quick] [--products N] [--duration S] [--connections C] [--no-memory]
//
// Search latency and throughput on this machine, in one run, against the real service (its own
// process, the same start.ts PM2 runs) over a seeded catalog (default 10 000 demo products in
// database `bench_search`), with Redis. Two workloads:
//   compute  every request computed: a mix of ~600 queries (words, brand + model, prefixes,
//            one-typo words, SKUs, filters, sorts, facet browsing), sent with a bearer header
//            so the response cache is bypassed;
//   cached   the same kind of queries drawn Zipf(1.0) from 500, through the response cache.
// Each is driven flat out (autocannon, closed loop) for its maximum req/s, then offered at HALF
// that rate open-loop (requests go out on schedule whether or not earlier ones finished, so the
// server's queueing is not hidden; the first second is a warm-up) for p50/p95/p99 — BRIEF §5
// "p99 at half of max throughput". Then the same with wrk (C), whose own CPU disturbs a server
// on the same cores far less. Then memory: the index built in a fresh process for 10k, 100k
// and 1M products (1M = the 200k demo catalog five times over with distinct ids and SKUs).
// Prints tables and writes .run/bench-search.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { mulberry32 as rng } from '@shop/catalog/demo-data';
import { seedCatalog } from '@shop/catalog/seed';
import { connectMongo, shopModels } from '@shop/db';
import { cliArgs, intFlag } from './lib/args.ts';
import { localMongo, SCRIPT_SOCKET_TIMEOUT_MS } from './lib/local-mongo.ts';
import { ensureDirs, repoRoot, runDir } from './lib/paths.ts';
import { latencyPercentiles, openLoop, type LatencyPercentiles } from './lib/open-loop.ts';
import { zipfSampler } from './bench/scenarios.ts';
import { freePort, resolveRedis } from './lib/redis-server.ts';
import { findWrk, runWrk, type WrkResult } from './lib/wrk.ts';

const TARGET_P99_MS = 15;
/** The open loop's first second is not measured: the server settles from the flat-out run before it. */
const OPEN_LOOP_WARMUP_S = 1;
const DB_NAME = 'bench_search';

interface AutocannonResult {
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (
  options: {
    url: string;
    connections: number;
    duration: number;
    headers: Record<string, string>;
    requests: { setupRequest: (req: { path: string }) => { path: string } }[];
    renderProgressBar?: boolean;
  },
  done: (error: Error | null, result: AutocannonResult) => void,
) => unknown;

interface Percentiles extends LatencyPercentiles {
  errors: number;
  /** How late the generator's timer fired (its own share of the machine), p99 ms. */
  timerLagP99?: number;
}

// ─────────────────────────────── memory child (--memory-child N) ───────────────────────────────

async function memoryChild(products: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const { generateDemoCatalog } = await import('@shop/catalog/demo-data');
  const { SearchIndex } = await import('@shop/search/index');
  // Baseline before anything is generated; every product gets strings of its own (as products
  // read from the database have), and the generator's output is dropped before measuring.
  gc();
  const before = process.memoryUsage().heapUsed;
  const own = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');
  let started = 0;
  // Built in a function of its own, so the generator's output is unreachable once it returns.
  const build = (): InstanceType<typeof SearchIndex> => {
    const demo = generateDemoCatalog({ products: Math.min(products, 200_000) });
    const categoryIds = new Map(demo.categories.map((c, i) => [c.slug, i.toString(16).padStart(24, 'c')]));
    const index = new SearchIndex();
    index.setCategories(demo.categories.map((c) => ({ id: categoryIds.get(c.slug) ?? '', slug: c.slug, name: c.name })));
    started = performance.now();
    for (let copy = 0, n = 0; n < products; copy++) {
      for (const p of demo.products) {
        if (n >= products) break;
        index.upsert({
          id: n.toString(16).padStart(24, '0'),
          sku: copy === 0 ? own(p.sku) : `${p.sku}-${copy}`,
          name: own(p.name),
          description: own(p.description),
          brand: own(p.brand),
          categoryId: categoryIds.get(p.categorySlug) ?? '',
          priceCents: p.priceCents,
          currency: p.currency,
          popularity: p.popularity,
          rating: { ...p.rating },
          inStock: true,
          image: p.images[0] ? { url: own(p.images[0].url), alt: own(p.images[0].alt) } : null,
          attributes: JSON.parse(JSON.stringify(p.attributes)) as Record<string, string | number | boolean>,
          createdAt: n,
          updatedAt: n,
        });
        n++;
      }
    }
    return index;
  };
  const index = build();
  const buildMs = performance.now() - started;
  // One query, so the per-worker scoring buffers (sized to the catalog) are counted too.
  index.match([{ term: 'laptop', prefix: false }]);
  gc();
  const heapMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  process.stdout.write(
    JSON.stringify({ products, heapMb, bytesPerProduct: (heapMb * 1024 * 1024) / products, buildMs, terms: index.termCount, postingsMb: index.postingBytes() / 1024 / 1024 }),
  );
}

// ─────────────────────────────── load generation ───────────────────────────────

/** Realistic search URLs built from the catalog's own words, deterministic. */
function buildQueries(products: { sku: string; name: string; brand: string }[], categories: string[], count: number): string[] {
  const random = rng(2026);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const words = (name: string): string[] => name.toLowerCase().split(/\s+/).filter((w) => /^[a-z]+$/.test(w));
  const typo = (word: string): string => {
    const i = 1 + Math.floor(random() * (word.length - 2));
    return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  };
  const out = new Set<string>();
  while (out.size < count) {
    const p = pick(products);
    const ws = words(p.name);
    const long = ws.filter((w) => w.length >= 5);
    const kind = Math.floor(random() * 9);
    const params = new URLSearchParams();
    if (kind === 0) params.set('q', p.brand.toLowerCase());
    else if (kind === 1) params.set('q', ws.slice(0, 2).join(' '));
    else if (kind === 2) params.set('q', pick(ws).slice(0, 3 + Math.floor(random() * 3)));
    else if (kind === 3 && long.length > 0) params.set('q', typo(pick(long)));
    else if (kind === 4) params.set('q', p.sku);
    else if (kind === 5) {
      params.set('q', pick(ws));
      params.set('category', pick(categories));
      params.set('maxPrice', String(5_000 + Math.floor(random() * 200_000)));
    } else if (kind === 6) {
      params.set('q', pick(ws));
      params.set('sort', pick(['price', '-price', 'rating', 'newest']));
      params.set('inStock', 'true');
    } else if (kind === 7) {
      params.set('category', pick(categories));
      params.set('page', String(1 + Math.floor(random() * 3)));
    } else params.set('q', `${p.brand.toLowerCase()} ${pick(ws)}`);
    if (!params.has('q') && !params.has('category')) continue;
    out.add(`/api/search?${params.toString()}`);
  }
  return [...out];
}

/** Zipf(1.0) over `items`: rank r drawn with weight 1/r. */
function zipf(items: readonly string[], random: () => number): () => string {
  const rank = zipfSampler(items.length, 1.0, random);
  return () => items[rank()] as string;
}

function percentiles(samples: number[], errors: number): Percentiles {
  return { ...latencyPercentiles(samples), errors };
}

function get(port: number, url: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: url, headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET ${url} answered ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

function closedLoop(autocannon: Autocannon, port: number, connections: number, durationS: number, next: () => string, headers: Record<string, string>): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        duration: durationS,
        headers,
        requests: [{ setupRequest: (req) => ({ ...req, path: next() }) }],
        renderProgressBar: false,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`search exited with ${child.exitCode} before it was ready`);
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/health/ready' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', () => resolve(0));
    });
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('search did not become ready within 120 s');
}

const fmt = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(2) : '—');
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const args = cliArgs(
    {
      quick: { type: 'boolean' },
      products: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      'no-memory': { type: 'boolean' },
      'memory-child': { type: 'string' },
    },
    'npm run bench:search -- [--quick] [--products N] [--duration S] [--connections C] [--no-memory]',
  );
  if (args['memory-child']) {
    await memoryChild(Number(args['memory-child']));
    return;
  }
  const quick = args.quick ?? false;
  const products = intFlag('products', args.products, 10_000, 100, 200_000);
  const duration = intFlag('duration', args.duration, quick ? 3 : 10, 1, 600);
  const connections = intFlag('connections', args.connections, 32, 1, 1_000);
  ensureDirs();
  const runStarted = performance.now();
  const require = createRequire(import.meta.url);
  const autocannon = require('autocannon') as Autocannon;

  const mongo = await localMongo({ detach: false });
  const redis = await resolveRedis();
  const connection = await connectMongo({ uri: mongo.uri, dbName: DB_NAME, maxPoolSize: 4, socketTimeoutMS: SCRIPT_SOCKET_TIMEOUT_MS });
  let child: ChildProcess | undefined;
  try {
    const models = shopModels(connection);
    if ((await models.Product.estimatedDocumentCount()) < products) {
      console.log(`seeding ${products} demo products into ${DB_NAME} (once; later runs reuse them) …`);
      await seedCatalog(models, { products });
    }
    const sample = await models.Product.find({}, { sku: 1, name: 1, brand: 1 }).limit(3_000).lean<{ sku: string; name: string; brand: string }[]>();
    const categories = (await models.Category.find({}, { slug: 1 }).lean<{ slug: string }[]>()).map((c) => c.slug);
    const computeQueries = buildQueries(sample, categories, 600);
    const cachedQueries = buildQueries(sample.slice().reverse(), categories, 500);

    const port = await freePort();
    child = spawn(process.execPath, [path.join(repoRoot, 'services/search/src/start.ts')], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        JWT_SECRET: randomUUID() + randomUUID(),
        HOST: '127.0.0.1',
        SEARCH_PORT: String(port),
        MONGODB_URI: mongo.uri,
        MONGODB_DB: DB_NAME,
        REDIS_URL: redis.url,
        CACHE_PREFIX: `bench-search-${randomUUID().slice(0, 8)}:`,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_MAX: String(1e9),
        SEARCH_WARM_QUERIES: '0',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitReady(port, child);
    const server = `${mongo.server}, Redis ${redis.url}`;
    console.log(
      `bench:search — Node ${process.version}, ${products} products, ${server}; closed loop ${connections} connections × ${duration} s, open loop at half of that`,
    );

    const accept = { 'accept-encoding': 'br, gzip' };
    const bypass = { ...accept, authorization: 'Bearer bench-bypasses-the-response-cache' };
    let i = 0;
    const roundRobin = (): string => computeQueries[i++ % computeQueries.length] as string;
    const drawCached = zipf(cachedQueries, rng(7));

    // Warm-up: JIT, and every cached query stored once.
    await closedLoop(autocannon, port, 8, 2, roundRobin, bypass);
    for (const url of cachedQueries) await get(port, url, accept);

    const results: Record<string, { maxRps: number; rate: number; latency: Percentiles }> = {};
    for (const [name, next, headers] of [
      ['compute', roundRobin, bypass],
      ['cached', drawCached, accept],
    ] as const) {
      process.stdout.write(`${name}: max throughput … `);
      const max = await closedLoop(autocannon, port, connections, duration, next, headers);
      if (max.non2xx + max.errors + max.timeouts > 0) throw new Error(`${name}: ${max.non2xx} non-2xx, ${max.errors} errors, ${max.timeouts} timeouts`);
      const rate = Math.max(1, Math.floor(max.requests.average / 2));
      process.stdout.write(`${fmtInt(max.requests.average)} req/s; latency at ${fmtInt(rate)} req/s … `);
      const run = await openLoop({ port, rate, durationS: duration, warmupS: OPEN_LOOP_WARMUP_S, connections, next, headers });
      const latency = { ...percentiles(run.latencies, run.errors), timerLagP99: run.timerLagP99 };
      console.log(`p99 ${fmt(latency.p99)} ms`);
      results[name] = { maxRps: max.requests.average, rate, latency };
    }

    console.log(`\nsearch latency at half of max throughput (${products} products, open loop, ms from send to last byte)`);
    console.table(
      Object.fromEntries(
        Object.entries(results).map(([name, r]) => [
          name,
          {
            'max req/s': fmtInt(r.maxRps),
            'offered req/s': fmtInt(r.rate),
            n: r.latency.n,
            'p50 ms': fmt(r.latency.p50),
            'p95 ms': fmt(r.latency.p95),
            'p99 ms': fmt(r.latency.p99),
            'max ms': fmt(r.latency.max),
            errors: r.latency.errors,
            'timer lag p99 ms': fmt(r.latency.timerLagP99 ?? NaN),
            [`p99 ≤ ${TARGET_P99_MS} ms`]: r.latency.p99 <= TARGET_P99_MS ? 'yes' : 'NO',
          },
        ]),
      ),
    );

    // The same two workloads driven by wrk (C): far less client CPU beside the server.
    const wrk = findWrk((line) => console.log(line));
    const wrkResults: Record<string, { max: WrkResult; half: WrkResult }> = {};
    if (wrk) {
      const drawForWrk = zipf(cachedQueries, rng(11));
      const workloads = [
        ['compute', computeQueries, bypass],
        ['cached', Array.from({ length: 20_000 }, drawForWrk), accept],
      ] as const;
      for (const [name, paths, headers] of workloads) {
        process.stdout.write(`wrk ${name}: max throughput … `);
        const max = runWrk({ port, paths, headers, connections, durationS: duration, name });
        const rate = Math.max(1, Math.floor(max.rps / 2));
        process.stdout.write(`${fmtInt(max.rps)} req/s; latency at ${fmtInt(rate)} req/s … `);
        const half = runWrk({ port, paths, headers, connections, durationS: duration, rate, name });
        console.log(`p99 ${fmt(half.p99)} ms`);
        if (max.errors + half.errors > 0) throw new Error(`wrk ${name}: ${max.errors + half.errors} errors or non-2xx`);
        wrkResults[name] = { max, half };
      }
      console.log(
        '\nthe same with wrk (C client; paced by random per-connection delays, ms from send to last byte; closed loop per\n' +
          'connection: requests due while a connection waits are sent late, so long stalls are undercounted)',
      );
      console.table(
        Object.fromEntries(
          Object.entries(wrkResults).map(([name, r]) => [
            name,
            {
              'max req/s': fmtInt(r.max.rps),
              'achieved req/s': fmtInt(r.half.rps),
              'p50 ms': fmt(r.half.p50),
              'p95 ms': fmt(r.half.p95),
              'p99 ms': fmt(r.half.p99),
              'max ms': fmt(r.half.max),
              [`p99 ≤ ${TARGET_P99_MS} ms`]: r.half.p99 <= TARGET_P99_MS ? 'yes' : 'NO',
            },
          ]),
        ),
      );
    } else {
      console.log('(wrk not available: install it — Debian: apt-get install wrk — for the C-client figures)');
    }

    const memory: unknown[] = [];
    if (!args['no-memory']) {
      console.log('index memory per worker (fresh process, heap after GC):');
      for (const n of quick ? [10_000] : [10_000, 100_000, 1_000_000]) {
        const run = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', import.meta.filename, '--memory-child', String(n)], {
          encoding: 'utf8',
        });
        if (run.status !== 0) throw new Error(`memory child for ${n}: ${run.stderr}`);
        const m = JSON.parse(run.stdout) as { products: number; heapMb: number; bytesPerProduct: number; buildMs: number; terms: number; postingsMb: number };
        memory.push(m);
        console.log(
          `  ${fmtInt(m.products).padStart(9)} products: ${m.heapMb.toFixed(1)} MB heap (${fmtInt(m.bytesPerProduct)} B/product; postings ${m.postingsMb.toFixed(1)} MB, ${fmtInt(m.terms)} terms), built in ${fmtInt(m.buildMs)} ms`,
        );
      }
    }

    const out = path.join(runDir, 'bench-search.json');
    writeFileSync(
      out,
      JSON.stringify(
        {
          when: new Date().toISOString(),
          node: process.version,
          server,
          products,
          closedLoop: { connections, durationS: duration },
          targetP99Ms: TARGET_P99_MS,
          results,
          wrk: wrkResults,
          memory,
        },
        null,
        2,
      ),
    );
    console.log(`\nwrote ${path.relative(process.cwd(), out)} in ${((performance.now() - runStarted) / 1000).toFixed(0)} s`);
    const failed = Object.values(results).some((r) => r.latency.errors > 0);
    if (failed) process.exitCode = 1;
  } finally {
    child?.kill('SIGTERM');
    await connection.close();
    await redis.started?.stop();
    await mongo.stop();
  }
}

await main();
