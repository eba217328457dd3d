import net from 'node:net';
import type { Express } from 'express';
import { connectRedis, createLogger, createRedis, listen, type Logger, type Redis, type RunningHttpServer } from '../src/index.ts';

/** A logger that writes nothing: the suites assert on HTTP answers, not on log lines. */
export const silentLogger = (): Logger => createLogger('service-kit-test', 'silent');

/** The Redis of this test run. The jest global setup exports it; without it the suite must fail, not skip. */
export function requireRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through jest (the global setup resolves it)');
  return url;
}

export interface StartedApp {
  running: RunningHttpServer;
  baseUrl: string;
  stop(): Promise<void>;
}

/** Listens on a random loopback port with the kit's own `listen`. */
export async function startApp(app: Express, logger: Logger = silentLogger()): Promise<StartedApp> {
  const running = await listen(app, { port: 0, host: '127.0.0.1', logger });
  return {
    running,
    baseUrl: `http://127.0.0.1:${running.port}`,
    stop: () => running.stop(1_000),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** createRedis sets ioredis' `disconnectTimeout` to 200 ms (see closeRedis). */
const IOREDIS_DISCONNECT_TIMEOUT_MS = 200;

/**
 * Closes a client so nothing keeps the test process alive. A ready client QUITs. A client that
 * never reached Redis is disconnected, then waited for: ioredis 6 arms a `disconnectTimeout`
 * timer (200 ms as createRedis configures it) to destroy its last socket even when that socket is already closed, and nothing
 * ever clears it, so the timer is what would otherwise hold jest open.
 */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
    return;
  }
  client.disconnect();
  await sleep(IOREDIS_DISCONNECT_TIMEOUT_MS + 50);
}

/** Deletes every key matching `pattern`, by SCAN (the test Redis may hold other runs' keys). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** A client of the test run's Redis, connected; the suite fails (never skips) when it cannot be reached. */
export async function connectTestRedis(name: string, logger: Logger = silentLogger()): Promise<Redis> {
  const client = createRedis({ url: requireRedisUrl(), logger, name });
  if (await connectRedis(client, 2_000)) return client;
  client.disconnect();
  throw new Error(`cannot reach the test Redis at ${requireRedisUrl()}`);
}
