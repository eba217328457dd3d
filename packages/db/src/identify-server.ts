import mongoose from 'mongoose';

/** A client for one quick look at a server, bounded by `timeoutMs` end to end. */
function probeClient(uri: string, timeoutMs: number): InstanceType<typeof mongoose.mongo.MongoClient> {
  return new mongoose.mongo.MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    directConnection: true,
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

/** True when something answers the MongoDB wire protocol at `uri` within the timeout. */
export async function isReachable(uri: string, timeoutMs = 1_500): Promise<boolean> {
  const client = probeClient(uri, timeoutMs);
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}
