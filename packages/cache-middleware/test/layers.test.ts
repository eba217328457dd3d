import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import type { Redis } from 'ioredis';
import { createMemoryLayer, createRedisLayer } from '../src/index.ts';
import { faultyLayer } from './support/faulty-layer.ts';
import { layerContract } from './support/layer-contract.ts';
import { testRedis } from './support/redis.ts';

let redis: Redis;
const prefix = `contract-${randomUUID()}:`;

beforeAll(async () => {
  redis = await testRedis();
});

afterAll(async () => {
  await createRedisLayer({ redis, prefix }).clear();
  await redis.quit();
});

layerContract('memory (L1)', () => createMemoryLayer({ maxEntries: 1_000 }));
layerContract('redis (L2)', () => createRedisLayer({ redis, prefix }));
layerContract('redis behind a 5 ms delay', () => faultyLayer(createRedisLayer({ redis, prefix }), { errorRate: 0, delayMs: 5 }));
