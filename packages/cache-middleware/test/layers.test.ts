import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import type { Redis } from 'ioredis';
import { createMemoryLayer, createRedisLayer } from '../src/index.ts';
import { faultyLayer } from './support/faulty-layer.ts';
import { layerContract } from './support/layer-contract.ts';
import { testRedis } from './support/redis.ts';

let redis: Redis;
/** A client on which the flagged delete scripts fail as a Redis before 7.0 fails them. */
let redisWithoutScriptFlags: Redis;
const prefix = `contract-${randomUUID()}:`;

/** What Redis 6 answers to a script whose first line is `#!lua flags=…`. */
const REDIS6_SHEBANG_ERROR = "ERR Error compiling script (new function): user_script:1: unexpected symbol near '#'";

beforeAll(async () => {
  redis = await testRedis();
  redisWithoutScriptFlags = await testRedis();
  for (const name of ['shopCacheDeleteTags', 'shopCacheDeleteKeys']) {
    Object.assign(redisWithoutScriptFlags, { [name]: () => Promise.reject(new Error(REDIS6_SHEBANG_ERROR)) });
  }
});

afterAll(async () => {
  await createRedisLayer({ redis, prefix }).clear();
  await createRedisLayer({ redis, prefix: `${prefix}v6:` }).clear();
  await redis.quit();
  await redisWithoutScriptFlags.quit();
});

layerContract('memory (L1)', () => createMemoryLayer({ maxEntries: 1_000 }));
layerContract('redis (L2)', () => createRedisLayer({ redis, prefix }));
// Redis 6 (Ubuntu 22.04, Debian 11) cannot parse the allow-oom flag line: the layer falls back to
// the same scripts without it, and every invalidation in the contract must still hold.
layerContract('redis (L2) on a Redis before 7.0', () => createRedisLayer({ redis: redisWithoutScriptFlags, prefix: `${prefix}v6:` }));
layerContract('redis behind a 5 ms delay', () => faultyLayer(createRedisLayer({ redis, prefix }), { errorRate: 0, delayMs: 5 }));
