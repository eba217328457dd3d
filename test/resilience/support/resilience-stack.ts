// The real stack for the reliability suite (issue R9): PM2 cluster workers behind nginx (the
// end-to-end harness), a seeded database, tokens, and, when a suite breaks them, a Redis and a
// MongoDB-wire server of its own that it can kill and start again on the same port.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedCatalog } from '@shop/catalog/seed';
import { identifyServer, type ShopModels } from '@shop/db';
import { testDatabase } from '@shop/db/testing';
import { startStandin, type RunningStandin } from '@shop/mongo-standin';
import { createAuth } from '@shop/service-kit';
import { startRedisServer, type StartedRedis } from '../../../scripts/lib/redis-server.ts';
import { freeFixedPort, startStack, stopAllStacks, type Stack } from '../../e2e/stack-harness.ts';
import { startTraffic, type Traffic, type TrafficOptions } from './traffic.ts';

/** A server the suite owns: it can be killed (or stopped) and started again where it was. */
export interface OwnedServer {
  url: string;
  pid(): number;
  /** SIGKILL (Redis) or a clean stop (MongoDB: SIGTERM, its store flushed). Resolves when it is gone. */
  down(): Promise<void>;
  /** Starts it again on the same port (and, for MongoDB, the same data file). */
  up(): Promise<void>;
}

export interface ResilienceStack {
  stack: Stack;
  models: ShopModels;
  dbName: string;
  /** What the MongoDB-wire server says it is (printed: the tests say which server they ran on). */
  mongoServer: string;
  redis?: OwnedServer;
  mongo?: OwnedServer;
  /** The seeded products' ids (first `products` of them, by _id). */
  productIds: string[];
  jwtSecret: string;
  /** A token for `sub` with `role`, valid `ttl` (default 1 h). */
  token(sub: string, role: 'customer' | 'admin', ttl?: string): Promise<string>;
  /** Ids of up to `limit` products holding at least `minStock` units now, for orders meant to succeed. */
  stockedProducts(minStock: number, limit: number): Promise<string[]>;
  /** Traffic through nginx; whatever is still running when the suite ends is stopped by `teardown()`. */
  traffic(options: TrafficOptions): Traffic;
  /** Stops the traffic, then the stack, then the servers; whatever state they are in. */
  teardown(): Promise<void>;
}

export interface ResilienceOptions {
  /** Database name prefix and log label. */
  name: string;
  instances?: number;
  products?: number;
  /** A Redis of the suite's own (so killing it disturbs nobody). */
  ownRedis?: boolean;
  /** A MongoDB-wire server of the suite's own, persisted to a file (so a restart keeps the data). */
  ownMongo?: boolean;
  env?: NodeJS.ProcessEnv;
}

async function ownRedis(): Promise<OwnedServer> {
  const port = await freeFixedPort(new Set());
  let server: StartedRedis | undefined = await startRedisServer(port);
  return {
    url: server.url,
    pid: () => server?.pid ?? -1,
    async down() {
      if (!server) return;
      process.kill(server.pid, 'SIGKILL');
      await server.stop();
      server = undefined;
    },
    async up() {
      server ??= await startRedisServer(port);
    },
  };
}

async function ownMongo(dir: string): Promise<OwnedServer> {
  const port = await freeFixedPort(new Set());
  const options = { port, file: path.join(dir, 'standin.mv'), logFile: path.join(dir, 'standin.log') };
  let server: RunningStandin | undefined = await startStandin(options);
  return {
    url: server.uri,
    pid: () => server?.pid ?? -1,
    async down() {
      await server?.stop();
      server = undefined;
    },
    async up() {
      server ??= await startStandin(options);
    },
  };
}

/** Starts everything a resilience suite needs; `teardown()` stops it all. */
export async function resilienceStack(options: ResilienceOptions): Promise<ResilienceStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `shop-${options.name}-`));
  const cleanups: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const traffics: Traffic[] = [];
  const teardown = async (): Promise<void> => {
    // Traffic a failed test left running stops before the stack it talks to.
    await Promise.all(traffics.splice(0).map((t) => t.stop()));
    await stopAllStacks();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  try {
    const redis = options.ownRedis ? await ownRedis() : undefined;
    if (redis) cleanups.push(() => redis.down());
    const mongo = options.ownMongo ? await ownMongo(dir) : undefined;
    if (mongo) cleanups.push(() => mongo.down());

    const db = await testDatabase(options.name.replace(/-/g, '_'), mongo ? { uri: mongo.url } : {});
    // Dropped before the server it lives on stops (reversed order).
    cleanups.push(() => db.drop());
    await seedCatalog(db.models, { products: options.products ?? 300 });
    const productIds = (await db.models.Product.find({}, { _id: 1 }).sort({ _id: 1 }).lean<{ _id: unknown }[]>()).map((p) => String(p._id));
    const mongoServer = await identifyServer(db.uri);
    const redisUrl = redis?.url ?? process.env.REDIS_URL;
    const jwtSecret = `resilience-${randomBytes(24).toString('hex')}`;
    const auth = createAuth(jwtSecret);

    const stack = await startStack({
      instances: options.instances ?? 2,
      env: {
        ...db.serviceEnv,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        REDIS_URL: redisUrl,
        JWT_SECRET: jwtSecret,
        RATE_LIMIT_MAX: '1000000',
        SEARCH_RATE_LIMIT_MAX: '1000000',
        ...options.env,
      },
    });
    console.log(
      `[${options.name}] MongoDB server: ${mongoServer} at ${db.uri}${mongo ? ' (this suite’s own)' : ''}; ` +
        `Redis ${redisUrl}${redis ? ' (this suite’s own)' : ''}; ${stack.workers().length} PM2 workers behind nginx at ${stack.edge}`,
    );
    return {
      stack,
      models: db.models,
      dbName: db.dbName,
      mongoServer,
      ...(redis ? { redis } : {}),
      ...(mongo ? { mongo } : {}),
      productIds,
      jwtSecret,
      token: (sub, role, ttl = '1h') => auth.sign({ id: sub, role }, ttl),
      stockedProducts: async (minStock, limit) =>
        (await db.models.Product.find({ stockTotal: { $gte: minStock } }, { _id: 1 }).limit(limit).lean<{ _id: unknown }[]>()).map((p) => String(p._id)),
      traffic(trafficOptions) {
        const traffic = startTraffic(stack.edge, trafficOptions);
        traffics.push(traffic);
        return traffic;
      },
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}
