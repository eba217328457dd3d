// npm run bench [-- --quick] [--rounds N] [--duration S] [--warmup S] [--connections C]
//                  [--scenarios product,list,search,order,journey] [--no-readme] [--no-l1]
//
// Before, after and ceiling in one run on this machine (issue P8, BRIEF §5):
//   ceiling  bare node:http constant JSON behind the same nginx;
//   before   one Node process, no cache, no compression, no indexes, direct port (bench/before-server.ts);
//   after    the full stack: PM2 clusters behind nginx, Redis, indexed database.
// Scenarios: product GET (Zipf 1.0 over 10k products), list with filters, search, create order,
// and a journey (search → product → order). For every scenario and point, in rounds whose point
// order rotates (so machine drift falls on every point alike), from a separate load process with
// the same connections and durations: a warm-up (not measured), the maximum req/s (closed loop),
// then p50/p95/p99 at half of that rate (open loop). Also per cell: errors, bytes per response
// and the compression ratio against the same answers uncompressed, cache hits per layer (after),
// CPU time per request by process group and peak RSS. Plus the server time an L1 hit adds
// (bench:cache). Writes bench-results/<timestamp>.json and .html (charts), and the README's
// Performance section (between its bench markers) from that JSON.
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedCatalog } from '@shop/catalog/seed';
import { applyIndexes, claimDatabaseIfNew, connectMongo, shopModels } from '@shop/db';
import { createAuth } from '@shop/service-kit';
import { cliArgs, intFlag } from './lib/args.ts';
import { localMongo, SCRIPT_SOCKET_TIMEOUT_MS } from './lib/local-mongo.ts';
import { ensureDirs, repoRoot, runDir } from './lib/paths.ts';
import { parsePromText } from './lib/prom-text.ts';
import { resolveRedis } from './lib/redis-server.ts';
import { CLIENT_HEADERS, type LoadJob, type LoadSummary } from './bench/load-process.ts';
import { cpuSnapshot, findPid, rssPeakSampler } from './bench/process-stats.ts';
import { benchResultsDir, overridesText, renderHtml, targetsText, updateReadme, type BenchCell, type BenchReport } from './bench/report.ts';
import { requestStream, SCENARIOS, searchQueries, type Fixture, type Scenario } from './bench/scenarios.ts';
import { benchOverrides, POINTS, startAfter, startBefore, startCeiling, type Point, type Target } from './bench/targets.ts';

const AFTER_DB = 'bench';
const BEFORE_DB = 'bench_before';
const PRODUCTS = 10_000;
const BENCH_CUSTOMER = 'bench-customer';

const args = cliArgs(
  {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    scenarios: { type: 'string' },
    'no-readme': { type: 'boolean', default: false },
    'no-l1': { type: 'boolean', default: false },
  },
  'npm run bench -- [--quick] [--rounds N] [--duration S] [--warmup S] [--connections C] [--scenarios a,b] [--no-readme] [--no-l1]',
);
const quick = args.quick === true;
const settings = {
  quick,
  rounds: intFlag('rounds', args.rounds, quick ? 1 : 3, 1, 20),
  durationS: intFlag('duration', args.duration, quick ? 2 : 10, 1, 600),
  warmupS: intFlag('warmup', args.warmup, quick ? 1 : 3, 0, 120),
  connections: intFlag('connections', args.connections, 32, 1, 1_000),
  products: PRODUCTS,
};
const scenarios = (args.scenarios ? args.scenarios.split(',') : [...SCENARIOS]) as Scenario[];
for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario "${s}" (${SCENARIOS.join(', ')})`);

/** Every setting of the measured stack that differs from what `npm start` ships (BRIEF §5). */
const overrides = benchOverrides();

const log = (line: string): void => console.log(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One job in a fresh load process; its CPU is its own, not the servers'. */
function load(job: LoadJob): Promise<LoadSummary> {
  const child = fork(path.join(repoRoot, 'scripts', 'bench', 'load-process.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { ok: boolean; summary?: LoadSummary; error?: string }) => {
      if (message.ok && message.summary) resolve(message.summary);
      else reject(new Error(`load process: ${message.error}`));
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load process exited ${code}`));
    });
    child.send(job);
  });
}

/**
 * The two databases: `bench` seeded and indexed (after); `bench_before`, the same documents with
 * only _id indexes. Returns the catalog's products and category slugs, for the request streams.
 */
async function prepareData(uri: string): Promise<Pick<Fixture, 'products' | 'categories'>> {
  const after = await connectMongo({ uri, dbName: AFTER_DB, socketTimeoutMS: SCRIPT_SOCKET_TIMEOUT_MS });
  const before = await connectMongo({ uri, dbName: BEFORE_DB, socketTimeoutMS: SCRIPT_SOCKET_TIMEOUT_MS });
  try {
    // Both databases are rewritten (indexes synced or dropped, collections emptied): only ones this
    // project created may be (decision 0016), whatever MONGODB_URI points at.
    for (const connection of [after, before]) {
      if ((await claimDatabaseIfNew(connection, 'npm run bench')) === 'foreign') {
        throw new Error(`refusing to rewrite "${connection.name}": it exists and was not created by this project (no _shop_meta marker); drop it first if it is an old bench database`);
      }
    }
    const models = shopModels(after);
    if ((await models.Product.estimatedDocumentCount()) < PRODUCTS) {
      log(`seeding ${PRODUCTS} demo products into "${AFTER_DB}" (once; later runs reuse them) …`);
      await seedCatalog(models, { products: PRODUCTS });
    }
    await applyIndexes(Object.values(models));
    const beforeModels = shopModels(before);
    if ((await beforeModels.Product.estimatedDocumentCount()) < PRODUCTS) {
      log(`copying them into "${BEFORE_DB}" without secondary indexes …`);
      const [from, to] = [after.db, before.db];
      if (!from || !to) throw new Error('no database handle');
      for (const name of ['categories', 'products', 'stock']) {
        const source = from.collection(name);
        const target = to.collection(name);
        await target.deleteMany({});
        const docs = await source.find({}).toArray();
        for (let i = 0; i < docs.length; i += 2_000) await target.insertMany(docs.slice(i, i + 2_000));
      }
    }
    for (const model of Object.values(beforeModels)) {
      const indexes = await model.collection.indexes().catch(() => []);
      for (const index of indexes) if (index.name && index.name !== '_id_') await model.collection.dropIndex(index.name);
    }
    // Orders never run out of stock, and earlier runs' orders do not pile up.
    for (const m of [models, beforeModels]) {
      await m.Stock.updateMany({}, { $set: { quantity: 1_000_000_000 } });
      await m.Order.deleteMany({ customerId: BENCH_CUSTOMER });
    }
    const products = (await models.Product.find({}, { name: 1, brand: 1 }).lean<{ _id: { toHexString(): string }; name: string; brand: string }[]>()).map((p) => ({ id: p._id.toHexString(), name: p.name, brand: p.brand }));
    const categories = (await models.Category.find({}, { slug: 1 }).lean<{ slug: string }[]>()).map((c) => c.slug);
    return { products, categories };
  } finally {
    await Promise.all([after.close(), before.close()]);
  }
}

/** Cache counters summed over the after point's services (each /metrics is already the sum over its workers). */
async function cacheCounters(target: Target): Promise<{ l1: number; l2: number; miss: number }> {
  const totals = { l1: 0, l2: 0, miss: 0 };
  for (const base of Object.values(target.metricsUrls ?? {})) {
    const samples = parsePromText(await (await fetch(`${base}/metrics`)).text());
    for (const s of samples) {
      if (s.name === 'cache_hits_total' && (s.labels.layer === 'l1' || s.labels.layer === 'l2')) totals[s.labels.layer] += s.value;
      if (s.name === 'cache_misses_total') totals.miss += s.value;
    }
  }
  return totals;
}

/** Mean body size of a scenario's GET answers when nothing is compressed (the compression baseline). */
async function identityBytes(port: number, scenario: Scenario, fixture: Fixture): Promise<number | null> {
  if (scenario === 'order' || scenario === 'journey') return null;
  const next = requestStream(scenario, fixture, 99, 'identity');
  let total = 0;
  const n = 30;
  for (let i = 0; i < n; i++) {
    const spec = next();
    const url = `http://127.0.0.1:${port}${typeof spec === 'string' ? spec : spec.path}`;
    const res = await fetch(url, { headers: { 'Accept-Encoding': 'identity', Accept: 'application/json' } });
    total += (await res.arrayBuffer()).byteLength;
  }
  return total / n;
}

/** bench:cache --quick in its own process: the server time an L1 hit adds (BRIEF §5, ≤ 50 µs median). */
async function l1Probe(): Promise<BenchReport['l1'] | null> {
  const child = fork(path.join(repoRoot, 'scripts', 'bench-cache.ts'), ['--quick'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) return null;
  const report = JSON.parse(readFileSync(path.join(runDir, 'bench-cache.json'), 'utf8')) as { l1HitMedianUs: number; floorMedianUs: number; l1BookkeepingUs: number };
  return { l1HitMedianUs: report.l1HitMedianUs, floorMedianUs: report.floorMedianUs, addedByL1HitUs: report.l1BookkeepingUs };
}

async function measure(target: Target, scenario: Scenario, round: number, fixtureFile: string, identity: number | null): Promise<BenchCell> {
  const base = { port: target.port, scenario, fixtureFile, connections: settings.connections, seed: 1_000 * round + SCENARIOS.indexOf(scenario) };
  const unique = () => `${target.point}-${randomUUID().slice(0, 8)}`;
  const groups = target.groups();
  const rss = rssPeakSampler(groups);
  // Warm-up, not measured: at the after point, for the product scenario, every product once (a
  // running shop's caches have seen its catalog; a few seconds of Zipf traffic never reach its
  // tail); then, at every point, the scenario itself, flat out.
  // - The sweep comes before every product cell, not only the first: between two rounds the
  //   other scenarios run for minutes, longer than a product answer lives (60 s + 60 s stale).
  // - List and search are not swept: their warm-up sends each of their few hundred distinct
  //   GETs many times over, and a sweep of the ~600 lists takes longer than a list lives
  //   (30 s), so all of them would expire together inside the measured window.
  if (target.point === 'after' && scenario === 'product') await load({ ...base, mode: 'sweep', unique: unique(), warmupS: 0, durationS: 0 });
  await load({ ...base, mode: 'closed', unique: unique(), warmupS: settings.warmupS, durationS: 0 });
  const cacheBefore = target.metricsUrls ? (await sleep(1_200), await cacheCounters(target)) : null;
  const cpu0 = cpuSnapshot(groups);
  const max = await load({ ...base, mode: 'closed', unique: unique(), warmupS: 0, durationS: settings.durationS });
  const cpu1 = cpuSnapshot(groups);
  const rate = Math.max(1, Math.round(max.rps / 2));
  const half = await load({ ...base, mode: 'open', unique: unique(), warmupS: 0.5, durationS: settings.durationS, rate });
  const peak = rss.stop();
  const cacheAfter = cacheBefore ? (await sleep(1_200), await cacheCounters(target)) : null;
  const cpuMsPerRequest = Object.fromEntries(Object.keys(cpu1).map((role) => [role, ((cpu1[role] ?? 0) - (cpu0[role] ?? 0)) / Math.max(1, max.answered)]));
  const bytesPerResponse = max.bodyBytes / Math.max(1, max.answered);
  const cache =
    cacheBefore && cacheAfter
      ? (() => {
          const l1 = cacheAfter.l1 - cacheBefore.l1;
          const l2 = cacheAfter.l2 - cacheBefore.l2;
          const miss = cacheAfter.miss - cacheBefore.miss;
          const lookups = l1 + l2 + miss;
          return { l1, l2, miss, l1Ratio: lookups ? l1 / lookups : null, l2Ratio: lookups ? l2 / lookups : null, hitRatio: lookups ? (l1 + l2) / lookups : null };
        })()
      : null;
  return {
    scenario,
    point: target.point,
    round,
    max: { rps: max.rps, errors: max.errors, statuses: max.statuses, answered: max.answered, p99: max.p99 },
    half: { rate, rps: half.rps, p50: half.p50, p95: half.p95, p99: half.p99, max: half.max, errors: half.errors, timerLagP99: half.timerLagP99 },
    bytesPerResponse,
    identityBytesPerResponse: identity,
    compression: identity ? 1 - bytesPerResponse / identity : null,
    cpuMsPerRequest: { ...cpuMsPerRequest, total: Object.entries(cpuMsPerRequest).filter(([role]) => role !== 'db').reduce((sum, [, v]) => sum + v, 0) },
    peakRssMB: { app: peak.app / 2 ** 20, edge: peak.edge / 2 ** 20 },
    cache,
  };
}

async function main(): Promise<void> {
  ensureDirs();
  const started = Date.now();
  const mongo = await localMongo();
  const redis = await resolveRedis();
  const jwtSecret = randomBytes(32).toString('hex');
  const cleanups: (() => Promise<void>)[] = [async () => redis.started?.stop(), () => mongo.stop()];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error(`[bench] cleanup: ${(error as Error).message}`));
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  try {
    const { products, categories } = await prepareData(mongo.uri);
    const fixture: Fixture = {
      products,
      categories,
      brands: [...new Set(products.map((p) => p.brand))],
      queries: searchQueries(products, categories, 300),
      token: await createAuth(jwtSecret).sign({ id: BENCH_CUSTOMER, role: 'customer' }, '4h'),
    };
    const fixtureFile = path.join(runDir, 'bench-fixture.json');
    writeFileSync(fixtureFile, JSON.stringify(fixture));
    const dbPid = mongo.pid ?? findPid(/mongo-standin-run\.jar|\bmongod\b/) ?? undefined;
    const redisPid = redis.started?.pid ?? findPid(/redis-server .*:6379/) ?? undefined;

    log('starting ceiling (node:http behind nginx), before (one naive process) and after (PM2 clusters behind nginx) …');
    const targets = {} as Record<Point, Target>;
    targets.ceiling = await startCeiling();
    cleanups.push(() => targets.ceiling.stop());
    targets.before = await startBefore({ mongoUri: mongo.uri, dbName: BEFORE_DB, jwtSecret, ...(dbPid ? { dbPid } : {}) });
    cleanups.push(() => targets.before.stop());
    targets.after = await startAfter({
      env: { MONGODB_URI: mongo.uri, MONGODB_DB: AFTER_DB, REDIS_URL: redis.url, JWT_SECRET: jwtSecret, CACHE_PREFIX: `bench-${randomUUID().slice(0, 8)}:` },
      ...(redisPid ? { redisPid } : {}),
      ...(dbPid ? { dbPid } : {}),
    });
    cleanups.push(() => targets.after.stop());
    log(overridesText(overrides));
    log(`ceiling :${targets.ceiling.port} · before :${targets.before.port} · after :${targets.after.port} · ${settings.connections} connections, ${settings.warmupS} s warm-up, ${settings.durationS} s per run, ${settings.rounds} round(s)`);

    const identity = new Map<string, number | null>();
    const cells: BenchCell[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      for (const [i, scenario] of scenarios.entries()) {
        // The order of the points turns with every scenario and round: drift is shared out.
        const order = POINTS.map((_, k) => POINTS[(k + round + i) % POINTS.length] ?? 'after');
        for (const point of order) {
          const key = `${scenario}/${point}`;
          if (!identity.has(key)) identity.set(key, await identityBytes(targets[point].port, scenario, fixture));
          const cell = await measure(targets[point], scenario, round, fixtureFile, identity.get(key) ?? null);
          cells.push(cell);
          log(
            `round ${round + 1} ${scenario.padEnd(8)} ${point.padEnd(8)} max ${cell.max.rps.toFixed(0).padStart(6)} req/s · at ${cell.half.rate}/s p50 ${cell.half.p50.toFixed(2)} p95 ${cell.half.p95.toFixed(2)} p99 ${cell.half.p99.toFixed(2)} ms · errors ${cell.max.errors + cell.half.errors}` +
              (cell.cache?.hitRatio !== null && cell.cache?.hitRatio !== undefined ? ` · hit ${(cell.cache.hitRatio * 100).toFixed(1)} %` : ''),
          );
        }
      }
    }
    await stopAll();

    const l1 = args['no-l1'] ? null : (log('server time of an L1 hit (bench:cache --quick) …'), await l1Probe());
    const report: BenchReport = {
      at: new Date().toISOString(),
      settings: { ...settings, scenarios, clientHeaders: CLIENT_HEADERS, overrides },
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, mongo: mongo.server, redis: redis.url },
      cells,
      l1,
      durationS: (Date.now() - started) / 1000,
    };
    mkdirSync(benchResultsDir, { recursive: true });
    const stamp = report.at.replace(/[:.]/g, '-');
    const jsonFile = path.join(benchResultsDir, `${stamp}.json`);
    writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    const htmlFile = path.join(benchResultsDir, `${stamp}.html`);
    writeFileSync(htmlFile, renderHtml(report));
    log(`wrote ${path.relative(repoRoot, jsonFile)} and ${path.relative(repoRoot, htmlFile)} (${report.durationS.toFixed(0)} s)`);
    if (!args['no-readme']) log(`README Performance section: ${updateReadme(report, path.relative(repoRoot, jsonFile), path.relative(repoRoot, htmlFile))}`);
    console.log(`\n${overridesText(report.settings.overrides)}\n${targetsText(report)}`);
  } finally {
    await stopAll();
  }
}

await main();
