import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectRedis, createRedis, pingRedis, type Redis } from '../src/index.ts';
import { closedPort, closeRedis, requireRedisUrl, silentLogger } from './helpers.ts';

const logger = silentLogger();
const clients: Redis[] = [];
const track = (client: Redis): Redis => {
  clients.push(client);
  return client;
};

afterAll(async () => {
  await Promise.all(clients.map((client) => closeRedis(client)));
});

describe('a Redis that is not there', () => {
  let dead: Redis;

  beforeAll(async () => {
    dead = track(createRedis({ url: `redis://127.0.0.1:${await closedPort()}`, logger, name: 'dead' }));
  });

  it('when connecting with a 500 ms budget, then connectRedis returns false within about a second', async () => {
    const started = performance.now();
    await expect(connectRedis(dead, 500)).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('when a command is sent while disconnected, then it rejects fast instead of queueing', async () => {
    const started = performance.now();
    await expect(dead.get('x')).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(300);
  });

  it('when pinging, then pingRedis throws naming the client state', async () => {
    await expect(pingRedis(dead)).rejects.toThrow(/^redis is /);
  });

  it('when connecting again while it reconnects in the background, then it still answers false in time', async () => {
    const started = performance.now();
    await expect(connectRedis(dead, 300)).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(800);
  });
});

describe('the Redis of this test run', () => {
  let live: Redis;

  beforeAll(() => {
    live = track(createRedis({ url: requireRedisUrl(), logger, name: 'service-kit-test' }));
  });

  it('when connecting, then connectRedis returns true and a second call too', async () => {
    await expect(connectRedis(live, 2_000)).resolves.toBe(true);
    await expect(connectRedis(live, 2_000)).resolves.toBe(true);
    expect(live.status).toBe('ready');
  });

  it('when pinging, then pingRedis returns a round trip in milliseconds', async () => {
    const ms = await pingRedis(live);
    expect(typeof ms).toBe('number');
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(250);
  });

  it('when a value is written, then it reads back', async () => {
    const keyName = `service-kit-test:${process.pid}:${Date.now()}`;
    await live.set(keyName, 'v', 'PX', 5_000);
    await expect(live.get(keyName)).resolves.toBe('v');
    await live.del(keyName);
  });
});
