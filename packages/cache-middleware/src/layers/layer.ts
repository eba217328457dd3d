import type { CacheEntry } from '../entry.ts';

/**
 * What the layered cache needs from one storage layer. The same contract test suite runs
 * against every implementation (test/layer-contract.ts).
 */
export interface CacheLayer {
  readonly name: string;
  get(key: string): Promise<CacheEntry | undefined>;
  /**
   * Stores `entry` until its storeUntil time. Returns false when the write was refused because
   * one of the entry's tags (or the key) was invalidated after `loadStartedAt`: the value was
   * read before the change and must not outlive it.
   */
  set(key: string, entry: CacheEntry, loadStartedAt: number): Promise<boolean>;
  deleteKeys(keys: readonly string[]): Promise<void>;
  /** Deletes every entry carrying one of `tags`; remembers when, for the `set` guard above. */
  deleteTags(tags: readonly string[]): Promise<void>;
  clear(): Promise<void>;
}
