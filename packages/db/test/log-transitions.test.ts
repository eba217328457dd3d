import { afterAll, describe, expect, it } from '@jest/globals';
import { startStandin, type RunningStandin } from '@shop/mongo-standin';
import type { Connection } from 'mongoose';
import { connectMongo, logMongoTransitions, pingMongo } from '../src/index.ts';
import { freePort } from '../../../scripts/lib/redis-server.ts';

const lines: { level: 'warn' | 'info'; message: string; fields: Record<string, unknown> }[] = [];
const logger = {
  warn: (fields: object, message: string) => lines.push({ level: 'warn', message, fields: fields as Record<string, unknown> }),
  info: (fields: object, message: string) => lines.push({ level: 'info', message, fields: fields as Record<string, unknown> }),
};

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; lines so far: ${JSON.stringify(lines)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let server: RunningStandin | undefined;
let connection: Connection | undefined;

afterAll(async () => {
  await connection?.close();
  await server?.stop();
}, 30_000);

describe('logMongoTransitions', () => {
  it('when the database stops and starts again, then a worker logs it unreachable (with the error) and then reachable, and its ping answers again', async () => {
    const port = await freePort();
    server = await startStandin({ port });
    connection = await connectMongo({ uri: server.uri, dbName: 'transitions', observe: (client) => logMongoTransitions(client, logger) });
    await pingMongo(connection);
    lines.length = 0;

    await server.stop();
    server = undefined;
    await until('unreachable logged', async () => {
      await pingMongo(connection!).catch(() => {});
      return lines.some((l) => l.message === 'mongodb server unreachable');
    });
    const down = lines.find((l) => l.message === 'mongodb server unreachable');
    expect(down).toMatchObject({ level: 'warn', fields: { address: `127.0.0.1:${port}`, to: 'Unknown' } });
    expect(String(down?.fields.error)).toMatch(/ECONNREFUSED|closed|reset/i);
    expect(lines.some((l) => l.message === 'mongodb connection pool cleared' && l.level === 'warn')).toBe(true);

    server = await startStandin({ port });
    await until('ping answers again', () => pingMongo(connection!).then(() => true, () => false));
    expect(lines.find((l) => l.message === 'mongodb server reachable')).toMatchObject({ level: 'info', fields: { from: 'Unknown', to: 'Standalone' } });
    expect(lines.some((l) => l.message === 'mongodb connection pool ready')).toBe(true);
    // Lines come with transitions only: no more "unreachable" lines than "reachable" ones plus one.
    const unreachable = lines.filter((l) => l.message === 'mongodb server unreachable').length;
    expect(unreachable).toBeLessThanOrEqual(lines.filter((l) => l.message === 'mongodb server reachable').length + 1);
  }, 60_000);
});
