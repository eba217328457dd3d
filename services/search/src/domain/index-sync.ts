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
  /** Full comparison of every product's updatedAt with the index, ms. Default 300 000. */
  reconcileMs?: number;
  /**
   * Each poll reads products whose updatedAt is at most this much older than the previous poll's
   * start, so writers' clock skew and writes that commit late are not missed. Default 5 000.
   */
  overlapMs?: number;
  /**
   * Ids named by an invalidation are read again this much later, for a write that was still in
   * flight when it was announced (a timed-out write may land afterwards). Default 10 000.
   */
  recheckMs?: number;
  onError: (error: unknown, context: string) => void;
}

export interface IndexSync {
  /** Loads categories and every product (start-up). */
  load(): Promise<void>;
  /**
   * Tags of a catalog invalidation: `product:<id>` and `stock:<id>` re-read that product (not when
   * only its stock count changed, see countChanges), `categories` the categories.
   */
  onTags(tags: readonly string[]): void;
  /**
   * Compares every product's updatedAt with the index and applies the differences: after a gap
   * in which invalidations may have been missed, however long it was.
   */
  reconcile(): Promise<void>;
  /** Resolves when everything queued so far has been applied. */
  settled(): Promise<void>;
  start(): void;
  stop(): void;
}

const PRODUCT_TAG = /^(?:product|stock):([0-9a-f]{24})$/;
const STOCK_TAG = /^stock:([0-9a-f]{24})$/;
/** The catalog's tag of every listing (PRODUCT_LISTS), which a stock change carries when a product may have entered or left stock. */
const PRODUCT_LISTS = 'products:list';

/**
 * The products of an invalidation whose stock count changed without entering or leaving stock:
 * `stock:<id>` without `products:list` (the catalog's stockChangeTags). Search holds `inStock`,
 * not the count, so such a change shows nothing new and the product is not read again (an order
 * would otherwise cost every search worker a read).
 */
function countChanges(tags: readonly string[]): ReadonlySet<string> {
  if (tags.includes(PRODUCT_LISTS)) return new Set();
  return new Set(tags.flatMap((tag) => STOCK_TAG.exec(tag)?.[1] ?? []));
}
const BATCH = 500;
/** Ids awaiting their second read; past this, the periodic reconciliation covers the rest. */
const MAX_RECHECK = 10_000;

/**
 * Keeps one worker's index in step with the catalog. Primary path: the cache invalidation
 * channel every catalog write already publishes (ids re-read within milliseconds, and once more
 * a little later). Safety nets: a poll on `updatedAt` plus a count check, every `safetyPollMs`
 * while Redis carries invalidations and every `pollMs` while it does not; a full updatedAt
 * comparison every `reconcileMs` and whenever the subscription (re)starts.
 * All reads and applies run one at a time, in order, so an older read never overwrites a newer one.
 */
export function createIndexSync(options: IndexSyncOptions): IndexSync {
  const { index, source } = options;
  const overlapMs = options.overlapMs ?? 5_000;
  const recheckMs = options.recheckMs ?? 10_000;
  const reconcileMs = options.reconcileMs ?? 300_000;
  let chain: Promise<void> = Promise.resolve();
  const pendingIds = new Set<string>();
  const recheckIds = new Set<string>();
  let flushQueued = false;
  let timer: NodeJS.Timeout | undefined;
  let recheckTimer: NodeJS.Timeout | undefined;
  /** Timers run between start() and stop(). */
  let stopped = true;
  /** After stop(), nothing new is taken on. */
  let closed = false;
  let lastPollAt = Date.now();
  let lastReconcileAt = Date.now();
  // Products written since the previous poll began (less the overlap): normally none, so a
  // quiet poll reads nothing however recently the catalog was bulk-loaded.
  let pollFrom = 0;

  /**
   * Runs `task` after everything queued before it; its failure is the caller's, the queue goes
   * on. Whatever the task changed in the index is announced (onChange) even if it then failed
   * half-way.
   */
  const serial = (task: () => Promise<void>, announce = true): Promise<void> => {
    const run = chain.then(async () => {
      const before = index.version;
      try {
        await task();
      } finally {
        if (announce && index.version !== before) options.onChange();
      }
    });
    chain = run.catch(() => {});
    return run;
  };
  const background = (task: () => Promise<void>, context: string): void => {
    serial(task).catch((error: unknown) => options.onError(error, context));
  };

  /** Upserts products, learning categories first if one is new. */
  const apply = async (products: readonly SearchableProduct[]): Promise<void> => {
    if (products.some((p) => !index.hasCategory(p.categoryId))) index.setCategories(await source.categories());
    for (const product of products) index.upsert(product);
  };

  /** Reads `ids` and applies them; a product no longer there is removed. */
  const refresh = async (ids: readonly string[]): Promise<void> => {
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = ids.slice(i, i + BATCH);
      const found = await source.byIds(batch);
      await apply(found);
      const present = new Set(found.map((p) => p.id));
      for (const id of batch) if (!present.has(id)) index.remove(id);
    }
  };

  const flushIds = async (): Promise<void> => {
    flushQueued = false;
    const ids = [...pendingIds];
    pendingIds.clear();
    try {
      await refresh(ids);
    } catch (error) {
      // Not lost: retried with the next invalidation or poll, whichever comes first.
      for (const id of ids) pendingIds.add(id);
      throw error;
    }
    for (const id of ids) if (recheckIds.size < MAX_RECHECK) recheckIds.add(id);
    if (!closed && recheckIds.size > 0 && recheckTimer === undefined) {
      recheckTimer = setTimeout(() => {
        recheckTimer = undefined;
        const again = [...recheckIds];
        recheckIds.clear();
        background(() => refresh(again), 'recheck');
      }, recheckMs);
      recheckTimer.unref();
    }
  };

  const reconcile = async (): Promise<void> => {
    lastReconcileAt = Date.now();
    const versions = await source.versions();
    const inDatabase = new Set<string>();
    const stale: string[] = [];
    for (const { id, updatedAt } of versions) {
      inDatabase.add(id);
      if (index.get(id)?.updatedAt !== updatedAt) stale.push(id);
    }
    for (const id of [...index.ids()]) if (!inDatabase.has(id)) index.remove(id);
    await refresh(stale);
  };

  const poll = async (): Promise<void> => {
    const startedAt = Date.now();
    if (pendingIds.size > 0) await flushIds();
    await apply(await source.changedSince(new Date(Math.max(0, pollFrom - overlapMs))));
    // Deletions leave no updatedAt behind: a count that disagrees means some were missed.
    if ((await source.count()) !== index.size) await reconcile();
    pollFrom = startedAt;
  };

  // Ticks every pollMs; while invalidations flow, only every safetyPollMs actually polls, so the
  // moment Redis goes away the next tick already polls.
  const schedule = (): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = Date.now();
      const task =
        now - lastReconcileAt >= reconcileMs
          ? reconcile
          : !options.followingWrites() || now - lastPollAt >= options.safetyPollMs
            ? poll
            : undefined;
      if (!task) {
        schedule();
        return;
      }
      lastPollAt = now;
      serial(task)
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
        // A worker coming up changes nothing anyone else can see: no announcement.
      }, false);
    },
    onTags(tags) {
      if (closed) return;
      let categories = false;
      const counted = countChanges(tags);
      for (const tag of tags) {
        const id = PRODUCT_TAG.exec(tag)?.[1];
        if (id && !counted.has(id)) pendingIds.add(id);
        else if (tag === 'categories') categories = true;
      }
      if (categories) background(async () => index.setCategories(await source.categories()), 'categories');
      if (pendingIds.size > 0 && !flushQueued) {
        flushQueued = true;
        background(flushIds, 'apply invalidation');
      }
    },
    reconcile() {
      return serial(reconcile);
    },
    settled() {
      return serial(async () => {});
    },
    start() {
      stopped = false;
      schedule();
    },
    stop() {
      stopped = true;
      closed = true;
      clearTimeout(timer);
      clearTimeout(recheckTimer);
    },
  };
}
