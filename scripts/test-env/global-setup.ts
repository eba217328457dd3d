import { resolveMongo } from '@shop/db';
import { freePort, isListening, startRedisServer } from '../lib/redis-server.ts';

/**
 * Finds (or starts) the real servers the suites need and exports their URLs to the test
 * workers. Nothing is mocked: a suite that cannot reach its server fails.
 */
export default async function globalSetup(): Promise<void> {
  const log = (line: string): void => console.log(`[test-env] ${line}`);
  const stops: (() => Promise<void>)[] = [];

  const mongo = await resolveMongo({ standinPort: await freePort(), log });
  stops.push(() => mongo.stop());
  process.env.MONGODB_URI = mongo.uri;
  process.env.SHOP_MONGO_SERVER = mongo.server;
  console.log(`\n[test-env] MongoDB server for this run: ${mongo.server} (found via ${mongo.source}) at ${mongo.uri}`);

  if (process.env.REDIS_URL) {
    const url = new URL(process.env.REDIS_URL);
    if (!(await isListening(url.hostname, Number(url.port || 6379)))) {
      throw new Error(`REDIS_URL=${process.env.REDIS_URL} is set but nothing listens there`);
    }
  } else if (await isListening('127.0.0.1', 6379)) {
    process.env.REDIS_URL = 'redis://127.0.0.1:6379';
  } else {
    const redis = await startRedisServer(await freePort());
    stops.push(() => redis.stop());
    process.env.REDIS_URL = redis.url;
  }
  console.log(`[test-env] Redis for this run: ${process.env.REDIS_URL}`);

  (globalThis as { __shopTestStops?: typeof stops }).__shopTestStops = stops;
}
