import { startStandin } from '@shop/mongo-standin';
import type { MongoMemoryServer as MemoryServer } from 'mongodb-memory-server-core';
import { DEFAULT_MONGODB_URI } from './connection.ts';
import { identifyServer, isReachable } from './identify-server.ts';


export type MongoSource = 'MONGODB_URI' | 'default-port' | 'mongodb-memory-server' | 'stand-in';

export interface ResolvedMongo {
  /** Connection string without a database name (the database is chosen per connection). */
  uri: string;
  source: MongoSource;
  /** What the server says it is, e.g. "MongoDB 8.0.4" or "mongo-java-server stand-in (…)". */
  server: string;
  /** Stops a server this call started; a no-op for servers it found. */
  stop(): Promise<void>;
  /** The process of a stand-in this call started (what `npm stop` ends later). */
  pid?: number;
}

export interface ResolveMongoOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Port for a stand-in started here. Default 27017; tests pass 0-like free ports. */
  standinPort?: number;
  /** H2 file for a persistent stand-in; in memory when omitted. */
  standinFile?: string;
  /** Keep a started stand-in running after this process exits (`npm start`). */
  detachStandin?: boolean;
  standinLogFile?: string;
  /** How long mongodb-memory-server may try to obtain a `mongod`. Default 20 s. */
  memoryServerTimeoutMs?: number;
}

/**
 * Finds a MongoDB-wire server, in this order:
 * 1. `MONGODB_URI` when set (never second-guessed: if it is down, callers fail loudly);
 * 2. a server already listening on the default port 27017;
 * 3. `mongodb-memory-server` when it can obtain a real `mongod` (cached binary or download);
 * 4. the mongo-java-server stand-in (docs/decisions/0002-mongodb-stand-in.md).
 */
export async function resolveMongo(options: ResolveMongoOptions = {}): Promise<ResolvedMongo> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const noop = async (): Promise<void> => {};

  if (env.MONGODB_URI) {
    const uri = env.MONGODB_URI;
    return { uri, source: 'MONGODB_URI', server: await identifyServer(uri), stop: noop };
  }

  if (await isReachable(DEFAULT_MONGODB_URI)) {
    return {
      uri: DEFAULT_MONGODB_URI,
      source: 'default-port',
      server: await identifyServer(DEFAULT_MONGODB_URI),
      stop: noop,
    };
  }

  if (env.SHOP_SKIP_MEMORY_SERVER !== '1') {
    const memory = await tryMemoryServer(options.memoryServerTimeoutMs ?? 20_000, log);
    if (memory) return memory;
  }

  const standin = await startStandin({
    port: options.standinPort ?? 27017,
    file: options.standinFile,
    detached: options.detachStandin,
    logFile: options.standinLogFile,
    log,
  });
  return {
    uri: standin.uri,
    source: 'stand-in',
    server: await identifyServer(standin.uri),
    stop: () => standin.stop(),
    pid: standin.pid,
  };
}

async function tryMemoryServer(timeoutMs: number, log: (line: string) => void): Promise<ResolvedMongo | undefined> {
  let MongoMemoryServer: typeof MemoryServer;
  try {
    ({ MongoMemoryServer } = await import('mongodb-memory-server-core'));
  } catch {
    log('mongodb-memory-server is not installed; skipping it');
    return undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  // On a machine that cannot download mongod the library dumps the whole download error with
  // console.warn; we report the one-line reason below instead.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('Starting the MongoMemoryServer Instance failed')) warn(...args);
  };
  const created = MongoMemoryServer.create();
  try {
    const server = await Promise.race([
      created,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no mongod within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const uri = server.getUri().replace(/\/$/, '');
    return {
      uri,
      source: 'mongodb-memory-server',
      server: await identifyServer(uri),
      stop: async () => {
        await server.stop();
      },
    };
  } catch (error) {
    created.then((server) => server.stop()).catch(() => {});
    log(`mongodb-memory-server could not provide a mongod: ${(error as Error).message.replace(/\s+/g, ' ').slice(0, 240)}`);
    return undefined;
  } finally {
    clearTimeout(timer);
    console.warn = warn;
  }
}
