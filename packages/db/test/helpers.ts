import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { connectMongo } from '../src/connection.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');

/** A connection to a fresh database on the test run's MongoDB server. */
export async function freshDatabase(prefix: string): Promise<{ connection: Connection; dbName: string; uri: string }> {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI is not set: run the tests through jest (global setup resolves it)');
  const dbName = `test_${prefix}_${randomBytes(4).toString('hex')}`;
  return { connection: await connectMongo({ uri, dbName, maxPoolSize: 4 }), dbName, uri };
}

/** Runs `scripts/<script>` (what `npm run …` runs) against one test database; its exit status and everything it printed. */
export function runScript(
  script: string,
  args: readonly string[],
  db: { uri: string; dbName: string },
  env: NodeJS.ProcessEnv = {},
): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', script), ...args], {
    env: { ...process.env, MONGODB_URI: db.uri, MONGODB_DB: db.dbName, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
