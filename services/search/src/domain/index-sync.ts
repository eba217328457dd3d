import type { ProductSource } from './ports.ts';
import type { SearchIndex } from './search-index.ts';
import type { SearchableProduct } from './types.ts';

export interface IndexSyncOptions {
  index: SearchIndex;
  source: ProductSource;
  /** Something a search can see changed: cached answers are now wrong. */
  onChange: () => void;
  /** True while catalog invalidations reach this worker over Redis; polling is then only a safety net. */
  followingWrites: () => boolean;
  /** Poll interval while not following writes (Redis down), ms: the freshness bound then. */
  pollMs: number;
  /** Poll interval while following writes, ms. */
  safetyPollMs: number;
  /**
   * Each poll reads products whose updatedAt is at most this much older than the previous poll's
   * start, so writers' clock skew and writes that commit late are not missed. Default 5 000.
   */
  overlapMs?: number;
  onError: (error: unknown, context: string) => void;
}

export interface IndexSync {
  /** Loads categories and every product (start-up). */
  load(): Promise<void>;
  /** Tags of a catalog invalidation: `product:<id>` and `stock:<id>` re-read that product, `categories` the categories. */
  onTags(tags: readonly string[]): void;
  /** Catches up from the database at once (after a gap in which invalidations may have been missed). */
  catchUp(): Promise<void>;
  /** Resolves when everything queued so far has been applied. */
  settled(): Promise<void>;
  /** Epoch ms of the last successful read from the database. */
  readonly lastSyncAt: number;
  start(): void;
  stop(): void;
}

const PRODUCT_TAG = /^(?:product|stock):([0-9a-f]{24})$/;
const BATCH = 500;

/**
 * Keeps one worker's index in step with the catalog. Primary path: the cache invalidation
 * channel every catalog write already publishes (ids re-read within milliseconds). Safety net:
 * a poll on `updatedAt` (new and changed products) plus a count check (deletions), every
 * `safetyPollMs` while Redis carries invalidations and every `pollMs` while it does not.
 * All reads and applies run one at a time, in order, so an older read never overwrites a newer one.
 */
export function createIndexSync(options: IndexSyncOptions): IndexSync {
  const { index, source } = options;
  const overlapMs = options.overlapMs ?? 5_000;
  let chain: Promise<void> = Promise.resolve();
  const pendingIds = new Set<string>();
  let flushQueued = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let lastSyncAt = 0;

  /** Runs `task` after everything queued before it; its failure is the caller's, the queue goes on. */
  const serial = (task: () => Promise<void>): Promise<void> => {
    const run = chain.then(task);
    chain = run.catch(() => {});
    return run;
  };
  const background = (task: () => Promise<void>, context: string): void => {
    serial(task).catch((error: unknown) => options.onError(error, context));
  };

  const reloadCategories = async (): Promise<void> => {
    const before = index.version;
    index.setCategories(await source.categories());
    if (index.version !== before) options.onChange();
  };

  /** Upserts products, learning categories first if one is new; true when a search could see a difference. */
  const apply = async (products: readonly SearchableProduct[]): Promise<boolean> => {
    if (products.some((p) => !index.hasCategory(p.categoryId))) index.setCategories(await source.categories());
    let changed = false;
    for (const product of products) if (index.upsert(product) !== 'unchanged') changed = true;
    return changed;
  };

  const flushIds = async (): Promise<void> => {
    flushQueued = false;
    const ids = [...pendingIds];
    pendingIds.clear();
    let changed = false;
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = ids.slice(i, i + BATCH);
      const found = await source.byIds(batch);
      changed = (await apply(found)) || changed;
      const present = new Set(found.map((p) => p.id));
      for (const id of batch) if (!present.has(id) && index.remove(id)) changed = true;
    }
    lastSyncAt = Date.now();
    if (changed) options.onChange();
  };

  // Products written since the previous poll began (less the overlap) — normally none, so a
  // quiet poll reads nothing however recently the catalog was bulk-loaded.
  let pollFrom = 0;
  const poll = async (): Promise<void> => {
    const startedAt = Date.now();
    let changed = await apply(await source.changedSince(new Date(Math.max(0, pollFrom - overlapMs))));
    // Deletions leave no updatedAt behind: a count that disagrees means some were missed.
    if ((await source.count()) !== index.size) {
      const ids = new Set(await source.allIds());
      for (const id of [...index.ids()]) if (!ids.has(id) && index.remove(id)) changed = true;
      const missing = [...ids].filter((id) => !index.get(id));
      for (let i = 0; i < missing.length; i += BATCH) changed = (await apply(await source.byIds(missing.slice(i, i + BATCH)))) || changed;
    }
    lastSyncAt = Date.now();
    pollFrom = startedAt;
    if (changed) options.onChange();
  };

  // Ticks every pollMs; while invalidations flow, only every safetyPollMs actually polls, so the
  // moment Redis goes away the next tick already polls.
  let lastPollAt = Date.now();
  const schedule = (): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (options.followingWrites() && Date.now() - lastPollAt < options.safetyPollMs) {
        schedule();
        return;
      }
      lastPollAt = Date.now();
      serial(poll)
        .catch((error: unknown) => options.onError(error, 'poll'))
        .finally(schedule);
    }, options.pollMs);
    timer.unref();
  };

  return {
    load() {
      return serial(async () => {
        pollFrom = Date.now();
        index.setCategories(await source.categories());
        await source.loadAll((batch) => {
          for (const product of batch) index.upsert(product);
        });
        lastSyncAt = Date.now();
      });
    },
    onTags(tags) {
      let categories = false;
      for (const tag of tags) {
        const id = PRODUCT_TAG.exec(tag)?.[1];
        if (id) pendingIds.add(id);
        else if (tag === 'categories') categories = true;
      }
      if (categories) background(reloadCategories, 'categories');
      if (pendingIds.size > 0 && !flushQueued) {
        flushQueued = true;
        background(flushIds, 'apply invalidation');
      }
    },
    catchUp() {
      return serial(poll);
    },
    settled() {
      return serial(async () => {});
    },
    get lastSyncAt() {
      return lastSyncAt;
    },
    start() {
      stopped = false;
      schedule();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
