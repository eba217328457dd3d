import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { connectMongo } from './connection.ts';
import { markDatabase } from './database-marker.ts';
import { ensureIndexes } from './index-sync.ts';
import { shopModels, type ShopModels } from './models.ts';

export interface TestDatabase {
  uri: string;
  dbName: string;
  connection: Connection;
  models: ShopModels;
  /**
   * Environment for a service under test on this database: its database and a cache prefix of
   * its own (so services started on it share invalidations and nothing else does), silent logs,
   * rate limits out of the way.
   */
  serviceEnv: NodeJS.ProcessEnv;
  /** Drops the database and closes the connection. */
  drop(): Promise<void>;
}

/**
 * For test suites: a fresh database of its own (`<prefix>_<random>`) on the run's MongoDB (the
 * jest global setup exports MONGODB_URI; without it the suite fails, it does not skip), with
 * the declared indexes created, marked as created by this project (`_shop_meta`), as `npm start`
 * marks a database it creates — so the destructive index commands treat it as the project's.
 */
export async function testDatabase(prefix: string, options: { maxPoolSize?: number; uri?: string } = {}): Promise<TestDatabase> {
  // `uri`: a server of the suite's own (one it freezes or stops), instead of the run's.
  const uri = options.uri ?? process.env.MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI is not set: run the tests through jest (global setup resolves it)');
  const dbName = `${prefix}_${randomBytes(4).toString('hex')}`;
  const connection = await connectMongo({ uri, dbName, maxPoolSize: options.maxPoolSize ?? 4 });
  const models = shopModels(connection);
  await markDatabase(connection, 'testDatabase()');
  await ensureIndexes(Object.values(models));
  return {
    uri,
    dbName,
    connection,
    models,
    serviceEnv: {
      MONGODB_URI: uri,
      MONGODB_DB: dbName,
      CACHE_PREFIX: `${dbName}:`,
      LOG_LEVEL: 'silent',
      RATE_LIMIT_MAX: '100000',
      NODE_ENV: 'test',
    },
    async drop() {
      await connection.dropDatabase().catch(() => {});
      await connection.close();
    },
  };
}
