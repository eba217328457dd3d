// scripts/monitor against the real stack (issue M6): 2 workers per service behind nginx, on a
// MongoDB-wire server of its own so that stopping it disturbs nobody else.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedCatalog } from '@shop/catalog/seed';
import { applyIndexes, connectMongo, shopModels } from '@shop/db';
import { startStandin, type RunningStandin } from '@shop/mongo-standin';
import { runMonitor, type MonitorReport } from './monitor-run.ts';
import { freeFixedPort, startStack, stopAllStacks, type Stack } from './stack-harness.ts';

let standin: RunningStandin;
let stack: Stack;
let productIds: string[];
const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-monitor-'));

/** Runs the monitor and prints what it found failing. */
async function monitor(): Promise<{ code: number | null; report: MonitorReport }> {
  const { code, report, stderr } = await runMonitor(stack, path.join(dir, 'state.json'));
  if (stderr) console.log(stderr);
  const failed = report.checks.filter((c) => c.status !== 'ok').map((c) => `${c.name} ${c.value ?? ''} ${c.message}`);
  console.log(`monitor exit ${code}: ${report.status}${failed.length ? `\n  ${failed.join('\n  ')}` : ''}`);
  return { code, report };
}

beforeAll(async () => {
  standin = await startStandin({ port: await freeFixedPort(new Set()) });
  const connection = await connectMongo({ uri: standin.uri, dbName: 'monitor' });
  const models = shopModels(connection);
  await applyIndexes(Object.values(models));
  await seedCatalog(models, { products: 120 });
  productIds = (await models.Product.find({}, { _id: 1 }).limit(60).lean<{ _id: unknown }[]>()).map((p) => String(p._id));
  await connection.close();
  stack = await startStack({
    instances: 2,
    env: {
      MONGODB_URI: standin.uri,
      MONGODB_DB: 'monitor',
      CACHE_PREFIX: `monitor-${Date.now()}:`,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      REDIS_URL: process.env.REDIS_URL,
      RATE_LIMIT_MAX: '1000000',
    },
  });
}, 180_000);

afterAll(async () => {
  await stopAllStacks();
  await standin?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('scripts/monitor', () => {
  it('when the stack is healthy, then it exits 0 and every check is ok', async () => {
    for (let i = 0; i < 30; i++) await (await fetch(`${stack.edge}/api/catalog/products?limit=5`)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 1_500));
    const { code, report } = await monitor();
    expect(report.failing).toEqual([]);
    expect(code).toBe(0);
    for (const name of ['ready:catalog', 'edge-ready:order', 'latency-p95:catalog', 'error-rate:search', 'cache-hit-rate:catalog', 'memory:search', 'memory:host']) {
      expect(report.checks.map((c) => c.name)).toContain(name);
    }
  });

  it('when a budget is breached (the catalog cache hit rate falls under 50 %), then it exits 1 and its JSON names that check', async () => {
    // Every product once: each read is a miss.
    for (const id of productIds) await (await fetch(`${stack.edge}/api/catalog/products/${id}`)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 1_500));
    const { code, report } = await monitor();
    expect(report.status).toBe('warn');
    expect(report.failing).toContain('cache-hit-rate:catalog');
    expect(report.failing.filter((name) => name.startsWith('ready') || name.startsWith('edge-ready'))).toEqual([]);
    expect(code).toBe(1);
  });

  it('when MongoDB is stopped, then it exits 2 and its JSON names every service that is not ready', async () => {
    await standin.stop();
    const { code, report } = await monitor();
    expect(report.status).toBe('critical');
    expect(code).toBe(2);
    for (const name of ['ready:catalog', 'ready:order', 'ready:search', 'edge-ready:catalog']) expect(report.failing).toContain(name);
    const catalog = report.checks.find((c) => c.name === 'ready:catalog');
    expect(catalog?.message).toContain('down: mongodb');
  }, 60_000);
});
