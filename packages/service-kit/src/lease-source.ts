/**
 * What one lease answers. A lease reserves tokens of a client's budget for the current window in
 * a store (Redis, shared by every worker; or this worker's memory while Redis fails); the worker
 * then spends them without asking the store again.
 */
export interface Grant {
  /** Which store answered: tokens and counts of one store never mix with the other's. */
  store: 'redis' | 'memory';
  /** Tokens granted now: as many of the wanted ones as fit under the limit (0 when none do). */
  granted: number;
  /** The client's count in the store after this lease: tokens reserved by every worker, plus counted refusals. */
  reserved: number;
  /**
   * When the window ends, on this process's monotonic clock (`performance.now()`). Never later
   * than the store's own expiry, so no token outlives the window it was reserved in.
   */
  windowEndsAt: number;
}

/** Where tokens come from. One instance serves one limiter: the limit and the window are its own. */
export interface LeaseSource {
  /**
   * Reserves up to `wanted` tokens of the budget of `key` (a client) in its current window.
   * `forRequest`: a request is waiting on this lease, so when nothing is granted the refusal is
   * counted (+1), as every refused request always was; a background refill's is not.
   */
  lease(key: string, wanted: number, forRequest: boolean): Promise<Grant>;
  /**
   * The store a lease would be answered from now. A refusal is only remembered for the store that
   * gave it: when Redis fails, a client it had refused gets this worker's own count (decision 0004).
   */
  current(): Grant['store'];
}
