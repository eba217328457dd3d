import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { connectMongo } from '../src/connection.ts';

/** A connection to a fresh database on the test run's MongoDB server. */
export async function freshDatabase(prefix: string): Promise<{ connection: Connection; dbName: string; uri: string }> {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI is not set: run the tests through jest (global setup resolves it)');
  const dbName = `test_${prefix}_${randomBytes(4).toString('hex')}`;
  return { connection: await connectMongo({ uri, dbName, maxPoolSize: 4 }), dbName, uri };
}
