import path from 'node:path';
import { resolveMongo, type ResolvedMongo } from '@shop/db';
import { dataDir, ensureDirs, runDir } from './paths.ts';

/**
 * Socket timeout for the scripts' bulk writes (seeding 500 products per batch). The services'
 * 5 s fails a request fast; a one-off seed into the stand-in's file store, once that file has
 * grown to a few hundred MB, can take longer per batch than that.
 */
export const SCRIPT_SOCKET_TIMEOUT_MS = 120_000;

/**
 * The database for command-line scripts (`start`, `seed`, `db:indexes`): the usual resolution
 * order, and when it falls through to the stand-in, one on the default port that persists to
 * `.data/mongo-standin.mv`, so what one script writes the next one sees.
 */
export async function localMongo(options: { detach?: boolean } = {}): Promise<ResolvedMongo> {
  ensureDirs();
  // A detached start (npm start) must outlive this process: mongodb-memory-server's mongod would
  // not, so it goes straight to the persistent stand-in.
  const env = options.detach ? { ...process.env, SHOP_SKIP_MEMORY_SERVER: '1' } : process.env;
  const mongo = await resolveMongo({
    env,
    standinPort: 27017,
    standinFile: path.join(dataDir, 'mongo-standin.mv'),
    detachStandin: options.detach ?? false,
    standinLogFile: path.join(runDir, 'mongo-standin.log'),
    log: (line) => console.log(`[mongo] ${line}`),
  });
  console.log(`[mongo] using ${mongo.server} (found via ${mongo.source}) at ${mongo.uri}`);
  return mongo;
}
