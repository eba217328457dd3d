import path from 'node:path';
import { resolveMongo, type ResolvedMongo } from '@shop/db';
import { dataDir, ensureDirs, runDir } from './paths.ts';

/**
 * Socket timeout of the command-line scripts (start, seed, db:indexes, bench): none (0). The
 * services' 5 s fails a request fast; a script's operations are index builds, which take as long
 * as the collection is large (minutes to hours), and bulk writes (a seed batch into the stand-in's
 * file store can take longer than any fixed bound). The server finishes a build whether or not the
 * client still waits, so a client-side timeout would only report a false failure mid-build.
 * Instead the scripts print progress ("still building … (Ns)"); a server that never answers is
 * the operator's Ctrl-C. Server selection still fails within 5 s when nothing is there.
 */
export const SCRIPT_SOCKET_TIMEOUT_MS = 0;

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
