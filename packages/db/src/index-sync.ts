import type { Connection, Model } from 'mongoose';
import { categoryIndexes } from './collections/categories/schema.ts';
import { productIndexes } from './collections/products/schema.ts';
import { idempotencyIndexes } from './collections/idempotency/schema.ts';
import { orderIndexes } from './collections/orders/schema.ts';
import { stockIndexes } from './collections/stock/schema.ts';
import { claimDatabaseIfNew, META_COLLECTION, type DatabaseOrigin } from './database-marker.ts';
import type { IndexDefinition } from './index-definition.ts';

/** Every declared index, by collection name, with the query it serves. */
export const declaredIndexes: Record<string, readonly IndexDefinition<unknown>[]> = {
  categories: categoryIndexes as readonly IndexDefinition<unknown>[],
  products: productIndexes as readonly IndexDefinition<unknown>[],
  stock: stockIndexes as readonly IndexDefinition<unknown>[],
  orders: orderIndexes as readonly IndexDefinition<unknown>[],
  idempotency_keys: idempotencyIndexes as readonly IndexDefinition<unknown>[],
};

export interface IndexDrift {
  collection: string;
  /** Declared but missing, or present with a different definition. */
  toCreate: { name: string; key: Record<string, unknown>; serves: string }[];
  /** Present on the server but not declared (or declared differently). */
  toDrop: string[];
}

// A model is enough: mongoose compares the schema's declared indexes with listIndexes().
type AnyModel = Model<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** One index mongoose would create: its key and its options (name included). */
type IndexSpec = [Record<string, unknown>, { name?: string } & Record<string, unknown>];

async function diffOf(model: AnyModel): Promise<{ toCreate: IndexSpec[]; toDrop: string[] }> {
  // With indexOptionsToCreate, toCreate holds [key, options] pairs (what syncIndexes() uses).
  const diff = await model.diffIndexes({ indexOptionsToCreate: true } as Parameters<AnyModel['diffIndexes']>[0]);
  return { toCreate: diff.toCreate as unknown as IndexSpec[], toDrop: diff.toDrop.map(String) };
}

const specName = ([key, options]: IndexSpec): string => options?.name ?? JSON.stringify(key);

/** Compares declared and actual indexes of every model. An empty list means no drift. */
export async function checkIndexes(models: readonly AnyModel[]): Promise<IndexDrift[]> {
  const drift: IndexDrift[] = [];
  for (const model of models) {
    const collection = model.collection.collectionName;
    const diff = await diffOf(model);
    const declared = declaredIndexes[collection] ?? [];
    const toCreate = diff.toCreate.map((spec) => {
      const name = specName(spec);
      return { name, key: spec[0], serves: declared.find((d) => d.name === name)?.serves ?? '(undeclared)' };
    });
    if (toCreate.length > 0 || diff.toDrop.length > 0) drift.push({ collection, toCreate, toDrop: diff.toDrop });
  }
  return drift;
}

export interface IndexProgressOptions {
  /** Where progress lines go, one call per line. Default: nowhere. */
  log?: (line: string) => void;
  /** While one index builds, a "still building" line this often. Default 5 000 ms. */
  progressEveryMs?: number;
}

export const DEFAULT_PROGRESS_EVERY_MS = 5_000;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs `task`, logging `still building <label> (Ns)` every `progressEveryMs` until it settles
 * (with `detail()`'s answer appended when it has one: the server's own progress, where it tells).
 * Resolves with the task's value and how long it took.
 */
export async function withBuildProgress<T>(
  label: string,
  task: () => Promise<T>,
  options: IndexProgressOptions & { detail?: () => Promise<string | undefined> } = {},
): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const everyMs = options.progressEveryMs ?? DEFAULT_PROGRESS_EVERY_MS;
  // Each tick prints a line with the server's detail when it answers within half an interval (at
  // most 1 s), else with its latest earlier answer: a slow or queued currentOp (the stand-in answers
  // it after the build) never holds the line back. One question to the server at a time.
  let settled = false;
  let printing = false;
  let asking = false;
  let latestDetail: string | undefined;
  const ask = (detail: () => Promise<string | undefined>): Promise<string | undefined> => {
    asking = true;
    return detail()
      .then((answer) => (latestDetail = answer), () => latestDetail)
      .finally(() => (asking = false));
  };
  const ticker = options.log
    ? setInterval(() => {
        if (printing) return;
        printing = true;
        const answer = options.detail && !asking ? ask(options.detail) : Promise.resolve(latestDetail);
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.min(everyMs / 2, 1_000))));
        void Promise.race([answer, bound]).then((detail = latestDetail) => {
          clearTimeout(timer);
          printing = false;
          if (settled) return;
          const elapsed = Math.round((performance.now() - started) / 1000);
          options.log?.(`still building ${label} (${elapsed}s)${detail ? ` — ${detail}` : ''}`);
        });
      }, everyMs)
    : undefined;
  try {
    const value = await task();
    return { value, ms: performance.now() - started };
  } finally {
    settled = true;
    clearInterval(ticker);
  }
}

/**
 * What the server says about a running index build on `collection` (MongoDB's currentOp `msg`,
 * e.g. "Index Build: scanning collection 41230/100000 41%"), or undefined. Servers without
 * currentOp (the stand-in) or users without the privilege: undefined from then on.
 */
function serverBuildProgress(connection: Connection, collection: string): () => Promise<string | undefined> {
  let supported = true;
  return async () => {
    const db = connection.db;
    if (!supported || !db) return undefined;
    try {
      const { inprog } = (await db.admin().command({ currentOp: true, 'command.createIndexes': collection })) as {
        inprog?: { msg?: string; ns?: string }[];
      };
      return inprog?.find((op) => op.msg && (op.ns ?? '').startsWith(`${db.databaseName}.`))?.msg;
    } catch {
      supported = false;
      return undefined;
    }
  };
}

async function createCollectionIfMissing(model: AnyModel): Promise<void> {
  // Exists already (48) is the common case; anything else surfaces at the first createIndex.
  await model.createCollection().catch(() => {});
}

export interface EnsureIndexesResult {
  /** `collection.name` of each index created now. */
  created: string[];
  /**
   * Declared indexes not created because an index of the same name or key with another definition
   * is in the way (creating would fail, or build a twin). Replacing it means dropping it first:
   * `npm run db:indexes -- --drop-undeclared --yes --apply`.
   */
  conflicts: { collection: string; name: string; existing: string }[];
}

/**
 * Creates the declared indexes that are missing, one at a time with progress lines; never drops
 * anything (start, seed and `db:indexes --apply`). An index already present is not touched.
 */
export async function ensureIndexes(models: readonly AnyModel[], options: IndexProgressOptions = {}): Promise<EnsureIndexesResult> {
  const result: EnsureIndexesResult = { created: [], conflicts: [] };
  for (const model of models) {
    await createCollectionIfMissing(model);
    const collection = model.collection.collectionName;
    const diff = await diffOf(model);
    if (diff.toCreate.length === 0) continue;
    const present = (await model.listIndexes()) as { name: string; key: Record<string, unknown> }[];
    for (const spec of diff.toCreate) {
      const [key, indexOptions] = spec;
      const name = specName(spec);
      // Present but not matching a declaration: an older definition under this name or key.
      const inTheWay = present.find(
        (index) => diff.toDrop.includes(index.name) && (index.name === name || JSON.stringify(index.key) === JSON.stringify(key)),
      );
      if (inTheWay) {
        result.conflicts.push({ collection, name, existing: inTheWay.name });
        options.log?.(
          `NOT creating ${collection}.${name}: existing index "${inTheWay.name}" has another definition ` +
            '(replace it with `npm run db:indexes -- --drop-undeclared --yes --apply`)',
        );
        continue;
      }
      const extra = Object.entries(indexOptions).filter(([option]) => option !== 'name' && option !== 'background');
      options.log?.(
        `creating ${collection}.${name} ${JSON.stringify(key)}${extra.length ? ` ${JSON.stringify(Object.fromEntries(extra))}` : ''} …`,
      );
      const { ms } = await withBuildProgress(`${collection}.${name}`, () => model.collection.createIndex(key as never, indexOptions), {
        ...options,
        detail: serverBuildProgress(model.db, collection),
      });
      options.log?.(`${collection}.${name} done in ${seconds(ms)}`);
      result.created.push(`${collection}.${name}`);
    }
  }
  return result;
}

/**
 * Drops exactly the indexes listed as `toDrop` in `drift` (what `checkIndexes` reported and the
 * operator confirmed). Only `db:indexes --drop-undeclared --yes` calls it.
 */
export async function dropIndexes(models: readonly AnyModel[], drift: readonly IndexDrift[], options: Pick<IndexProgressOptions, 'log'> = {}): Promise<string[]> {
  const dropped: string[] = [];
  for (const { collection, toDrop } of drift) {
    const model = models.find((m) => m.collection.collectionName === collection);
    if (!model) continue;
    for (const name of toDrop) {
      options.log?.(`dropping ${collection}.${name} …`);
      const started = performance.now();
      await model.collection.dropIndex(name);
      options.log?.(`${collection}.${name} dropped in ${seconds(performance.now() - started)}`);
      dropped.push(`${collection}.${name}`);
    }
  }
  return dropped;
}

/**
 * What `npm start` and `npm run seed` do to a database before writing to it: mark it as this
 * project's if it is new (`_shop_meta`, before anything else is written), then create the missing
 * declared indexes. Never drops an index, whoever owns the database.
 */
export async function prepareDatabase(
  connection: Connection,
  models: readonly AnyModel[],
  options: IndexProgressOptions & { by: string },
): Promise<EnsureIndexesResult & { origin: DatabaseOrigin }> {
  const origin = await claimDatabaseIfNew(connection, options.by);
  const name = connection.db?.databaseName ?? connection.name;
  if (origin === 'created') options.log?.(`database "${name}" is new: marked as created by this project (${META_COLLECTION})`);
  if (origin === 'foreign') {
    options.log?.(`database "${name}" was not created by this project (no ${META_COLLECTION} marker): only missing indexes are created`);
  }
  const result = await ensureIndexes(models, options);
  if (result.created.length === 0 && result.conflicts.length === 0) options.log?.('all declared indexes present');
  return { ...result, origin };
}

/**
 * syncIndexes(): creates missing indexes AND drops undeclared ones. For fresh throwaway databases
 * of tests and benchmarks only; nothing on the start path calls it (`prepareDatabase` does not drop).
 */
export async function applyIndexes(models: readonly AnyModel[]): Promise<void> {
  for (const model of models) {
    await createCollectionIfMissing(model);
    await model.syncIndexes();
  }
}
