import mongoose from 'mongoose';
import { within } from './within.ts';

/**
 * A client for one quick look at a server, with `timeoutMs` for server selection and connecting.
 * `direct`: to the one host named, whatever its role; otherwise as the URI says (a replica set's
 * members, as a service's pool sees them).
 */
function probeClient(uri: string, timeoutMs: number, direct = true): InstanceType<typeof mongoose.mongo.MongoClient> {
  return new mongoose.mongo.MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    maxPoolSize: 1,
    ...(direct ? { directConnection: true } : {}),
  });
}

/** A human name for the MongoDB-wire server at `uri`, e.g. "MongoDB 8.0.4" or "mongo-java-server stand-in (…)". */
export async function identifyServer(uri: string, timeoutMs = 3_000): Promise<string> {
  const client = probeClient(uri, timeoutMs);
  try {
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    const version = String(info.version ?? 'unknown version');
    if (info.ferretdb || info.ferretdbVersion) return `FerretDB (reports MongoDB ${version})`;
    if (info.gitVersion && info.allocator) return `MongoDB ${version}`;
    return `mongo-java-server stand-in (reports MongoDB ${version})`;
  } finally {
    await client.close();
  }
}

/**
 * True when a new client of its own gets a ping answered at `uri`, within twice `timeoutMs` end to
 * end (a server that accepts the connection and never answers counts as unreachable).
 * `direct: false` connects as the URI says rather than to its one host (probeClient).
 */
export async function isReachable(uri: string, timeoutMs = 1_500, { direct = true }: { direct?: boolean } = {}): Promise<boolean> {
  const client = probeClient(uri, timeoutMs, direct);
  try {
    await within(
      client.connect().then(() => client.db('admin').command({ ping: 1 })),
      timeoutMs * 2,
    );
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}
