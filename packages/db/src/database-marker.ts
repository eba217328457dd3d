import type { Connection } from 'mongoose';

/**
 * A collection of the project's own bookkeeping, outside the models: `checkIndexes` and the
 * index commands only look at the models' collections, so it never shows up as drift.
 */
export const META_COLLECTION = '_shop_meta';

/** The `_id` of the document that says "this project created this database". */
export const MARKER_ID = 'created-by';

export interface DatabaseMarker {
  _id: typeof MARKER_ID;
  project: 'perf-shop';
  /** What created it: `npm start`, `npm run seed`, `testDatabase()`… */
  by: string;
  createdAt: Date;
}

/**
 * Who a database belongs to, as far as destructive commands are concerned:
 * `created` — empty until now, marked by this call; `ours` — marked earlier;
 * `foreign` — it had collections and no marker (someone else's, or made before markers existed).
 */
export type DatabaseOrigin = 'created' | 'ours' | 'foreign';

function metaCollection(connection: Connection) {
  const db = connection.db;
  if (!db) throw new Error('not connected');
  return db.collection<DatabaseMarker>(META_COLLECTION);
}

/** The marker, or null when this project did not create the database. */
export async function readDatabaseMarker(connection: Connection): Promise<DatabaseMarker | null> {
  return metaCollection(connection).findOne({ _id: MARKER_ID });
}

/** Writes the marker whatever the database holds (idempotent). Prefer `claimDatabaseIfNew`. */
export async function markDatabase(connection: Connection, by: string): Promise<void> {
  await metaCollection(connection)
    .insertOne({ _id: MARKER_ID, project: 'perf-shop', by, createdAt: new Date() })
    .catch((error: unknown) => {
      // Marked already (by this call's twin in another process, say): the first marker stays.
      if ((error as { code?: number }).code !== 11000) throw error;
    });
}

/**
 * Marks the database as this project's when it has no collections yet — call it before anything
 * else is written, when a script creates or initialises the database. A database that already
 * has collections is never claimed: it stays `foreign` unless it was marked before.
 */
export async function claimDatabaseIfNew(connection: Connection, by: string): Promise<DatabaseOrigin> {
  if (await readDatabaseMarker(connection)) return 'ours';
  const db = connection.db;
  if (!db) throw new Error('not connected');
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  if (collections.some((c) => !c.name.startsWith('system.') && c.name !== META_COLLECTION)) return 'foreign';
  await markDatabase(connection, by);
  return 'created';
}
