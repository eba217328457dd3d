import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStandin, type RunningStandin } from '@shop/mongo-standin';
import type { Connection } from 'mongoose';
import { connectMongo, pingMongo, watchMongo, type MongoWatchdog } from '../src/index.ts';
import { freePort } from '../../../scripts/lib/redis-server.ts';

const lines: { level: string; message: string; fields: object }[] = [];
const logger = {
  error: (fields: object, message: string) => lines.push({ level: 'error', message, fields }),
  warn: (fields: object, message: string) => lines.push({ level: 'warn', message, fields }),
  info: (fields: object, message: string) => lines.push({ level: 'info', message, fields }),
};
const answers = (connection: Connection): Promise<boolean> =>
  Promise.race([pingMongo(connection).then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000))]).catch(() => false);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client that cannot reach a server that is up: its topology closed under it (the driver then
 * refuses every operation, "Topology is closed", and never opens it again by itself).
 */
async function wedge(connection: Connection): Promise<void> {
  const client = connection.getClient() as unknown as { topology?: { close(): Promise<void> | void } };
  await client.topology?.close();
}

let server: RunningStandin;
let connection: Connection;
let watchdog: MongoWatchdog | undefined;
const fast = { intervalMs: 200, pingTimeoutMs: 500, wedgedAfterMs: 1_000 };

beforeAll(async () => {
  server = await startStandin({ port: await freePort() });
  connection = await connectMongo({ uri: server.uri, dbName: 'watchdog' });
}, 60_000);

afterAll(async () => {
  await watchdog?.stop();
  await connection?.close();
  await server?.stop();
}, 30_000);

describe('watchMongo', () => {
  it('when an option is not a positive number of ms, then it refuses to start', () => {
    expect(() => watchMongo(connection, server.uri, { logger, intervalMs: 0 })).toThrow('intervalMs must be a positive number of ms, got 0');
    expect(() => watchMongo(connection, server.uri, { logger, wedgedAfterMs: Number.NaN })).toThrow(RangeError);
  });

  it('when the pooled client is wedged while the server answers, then it stays wedged on its own, and the watchdog resets it and models work again', async () => {
    const Thing = connection.model('Thing', new (await import('mongoose')).Schema({ n: Number }));
    await Thing.create({ n: 1 });
    await wedge(connection);
    // On its own it does not come back: the control that makes this test able to fail.
    await sleep(2_000);
    expect(await answers(connection)).toBe(false);

    lines.length = 0;
    watchdog = watchMongo(connection, server.uri, { logger, ...fast });
    const started = Date.now();
    while (!(await answers(connection)) && Date.now() - started < 10_000) await sleep(100);
    expect(await answers(connection)).toBe(true);
    // The pooled client can answer a ping a moment before the watchdog's own reconnect resolves
    // and counts the reset (seen once in CI under load): wait for the count, within the same bound.
    while (watchdog.resets === 0 && Date.now() - started < 10_000) await sleep(20);
    expect(watchdog.resets).toBe(1);
    expect(lines.map((l) => l.message)).toEqual([
      'mongodb client wedged: a new connection is answered, the pooled client sees no server; resetting it',
      'mongodb client reset',
    ]);
    expect(await Thing.countDocuments({ n: 1 })).toBe(1);
    await watchdog.stop();
  }, 30_000);

  it('when the server itself is down, then nothing is reset, and the client comes back by itself when the server does', async () => {
    lines.length = 0;
    // The pooled client's own recovery takes up to ~1 s: it has 3 s once the server answers again.
    watchdog = watchMongo(connection, server.uri, { logger, ...fast, pingTimeoutMs: 250, wedgedAfterMs: 3_000 });
    const options = { port: Number(new URL(server.uri).port) };
    await server.stop();
    await sleep(2_500);
    expect(watchdog.resets).toBe(0);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    server = await startStandin(options);
    const started = Date.now();
    while (!(await answers(connection)) && Date.now() - started < 10_000) await sleep(100);
    expect(await answers(connection)).toBe(true);
    // Past the grace period: recovering by itself after an outage is not a wedge.
    await sleep(3_500);
    expect(watchdog.resets).toBe(0);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    await watchdog.stop();
  }, 30_000);
});
