import mongoose, { type Connection } from 'mongoose';

/** The driver's client as mongoose holds it (mongoose bundles its own `mongodb`). */
export type MongoDriverClient = ReturnType<Connection['getClient']>;

/** Where a local MongoDB (or the stand-in) listens when nothing else is configured. */
export const DEFAULT_MONGODB_URI = 'mongodb://127.0.0.1:27017';

export interface MongoConnectionOptions {
  uri: string;
  /** Database name. Default `shop`. */
  dbName?: string;
  /** Connections per worker process. Default 10. */
  maxPoolSize?: number;
  /** Default 0: no idle connections kept open. */
  minPoolSize?: number;
  /** How long an operation waits for a usable server. Default 5 000 ms, so a dead database fails fast. */
  serverSelectionTimeoutMS?: number;
  /**
   * A query whose socket stays silent this long fails (and the request gets a 503). Default
   * 5 000 ms: API queries are short, and a frozen server must not hold requests for 30 s.
   */
  socketTimeoutMS?: number;
  /** TCP connect plus handshake. Default 3 000 ms (a stopped server still accepts TCP). */
  connectTimeoutMS?: number;
  /** Build indexes when models are compiled. Default false: production uses `npm run db:indexes -- --apply`. */
  autoIndex?: boolean;
  /** Shows up in server logs and currentOp. */
  appName?: string;
  /**
   * Called with the driver's client before it connects (so no pool event is missed), with command
   * monitoring on: where metrics attach (`instrumentMongo`).
   */
  observe?: (client: MongoDriverClient) => void;
}

/**
 * Opens one pooled connection (call it once per worker process).
 * Commands are not buffered while disconnected: a dead database fails the request fast
 * instead of queueing it in memory.
 */
export async function connectMongo(options: MongoConnectionOptions): Promise<Connection> {
  const connection = mongoose.createConnection(options.uri, {
    dbName: options.dbName ?? 'shop',
    maxPoolSize: options.maxPoolSize ?? 10,
    minPoolSize: options.minPoolSize ?? 0,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
    socketTimeoutMS: options.socketTimeoutMS ?? 5_000,
    connectTimeoutMS: options.connectTimeoutMS ?? 3_000,
    autoIndex: options.autoIndex ?? false,
    autoCreate: options.autoIndex ?? false,
    bufferCommands: false,
    appName: options.appName,
    monitorCommands: options.observe !== undefined,
  });
  // The client exists as soon as the connection is created; its first events come after this tick.
  options.observe?.(connection.getClient());
  await connection.asPromise();
  return connection;
}

/**
 * Round-trips a ping; resolves with the latency in ms or throws. It is sent even while mongoose
 * reports the connection as down: selecting a server for it wakes the driver's monitor at once,
 * so a database that came back is seen by the next readiness probe, not at the next heartbeat.
 */
export async function pingMongo(connection: Connection): Promise<number> {
  const started = performance.now();
  const db = connection.db;
  if (!db) throw new Error('not connected');
  await db.command({ ping: 1 });
  return performance.now() - started;
}

/** The MONGODB_* settings every service shares (service-kit's `baseConfigFields`). */
export interface MongoSettings {
  MONGODB_URI?: string | undefined;
  MONGODB_DB: string;
  MONGODB_POOL_SIZE: number;
  MONGODB_SOCKET_TIMEOUT_MS: number;
}

/** The URI a service's settings name: MONGODB_URI, or the default port when none is set. */
export const mongoUriFrom = (config: Pick<MongoSettings, 'MONGODB_URI'>): string => config.MONGODB_URI ?? DEFAULT_MONGODB_URI;

/** One service's pool, from its validated settings (the default port when no URI is set). */
export function connectMongoFromConfig(config: MongoSettings, appName: string, observe?: (client: MongoDriverClient) => void): Promise<Connection> {
  return connectMongo({
    observe,
    uri: mongoUriFrom(config),
    dbName: config.MONGODB_DB,
    maxPoolSize: config.MONGODB_POOL_SIZE,
    socketTimeoutMS: config.MONGODB_SOCKET_TIMEOUT_MS,
    appName,
  });
}
