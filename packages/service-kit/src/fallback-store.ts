import { MemoryStore, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';

const SKIP_AFTER_FAILURE_MS = 2_000;

/**
 * Counts in the shared store (Redis) and falls back to this worker's memory when the shared
 * store fails, so limits keep holding, per worker, through a Redis outage and return to the
 * shared count by themselves once Redis answers again.
 */
export class FallbackStore implements Store {
  readonly localKeys = false;
  private readonly primary: Store;
  private readonly fallback = new MemoryStore();
  private readonly onFallback: (error: unknown) => void;
  private skipUntil = 0;

  constructor(primary: Store, onFallback: (error: unknown) => void) {
    this.primary = primary;
    this.onFallback = onFallback;
  }

  async init(options: Options): Promise<void> {
    this.fallback.init(options);
    await Promise.resolve(this.primary.init?.(options)).catch(this.onFallback);
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    // After a failure the shared store is skipped for a few seconds, so a stalled Redis costs
    // one command timeout, not one per request.
    if (Date.now() < this.skipUntil) return this.fallback.increment(key);
    try {
      return await this.primary.increment(key);
    } catch (error) {
      this.skipUntil = Date.now() + SKIP_AFTER_FAILURE_MS;
      this.onFallback(error);
      return this.fallback.increment(key);
    }
  }

  async decrement(key: string): Promise<void> {
    await Promise.resolve(this.primary.decrement(key)).catch(() => this.fallback.decrement(key));
  }

  async resetKey(key: string): Promise<void> {
    await Promise.allSettled([this.primary.resetKey(key), this.fallback.resetKey(key)]);
  }

  shutdown(): void {
    this.fallback.shutdown();
  }
}
