import { Redis } from 'ioredis';

/** A fail-fast client like the services use, on the test run's Redis. */
export async function testRedis(url = process.env.REDIS_URL): Promise<Redis> {
  if (!url) throw new Error('REDIS_URL is not set: run through jest (global setup starts Redis)');
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // As service-kit's createRedis: auto-pipelined, each batch with half of a 250 ms budget.
    enableAutoPipelining: true,
    commandTimeout: 125,
    maxRetriesPerRequest: 1,
    disconnectTimeout: 200,
    retryStrategy: (n) => Math.min(n * 100, 1_000),
  });
  await client.connect();
  return client;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
