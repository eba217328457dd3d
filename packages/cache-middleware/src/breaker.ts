/**
 * A small circuit breaker for L2 calls. A stalled Redis costs a full command timeout per call,
 * so after `threshold` failures in a row calls are skipped for `coolDownMs`; then exactly one
 * call probes (half-open): success closes the circuit, failure opens it again. `reset()` closes
 * it at once (Redis reported ready).
 */
export interface Breaker {
  /** False while open (skip the call, treat it as a miss); true for the single half-open probe. */
  allows(): boolean;
  /** True while closed; unlike `allows()`, never takes the half-open probe. */
  closed(): boolean;
  success(): void;
  failure(): void;
  reset(): void;
}

export function createBreaker(threshold = 1, coolDownMs = 2_000, now: () => number = Date.now): Breaker {
  let state: 'closed' | 'open' | 'probing' = 'closed';
  let failures = 0;
  let openUntil = 0;
  return {
    allows() {
      if (state === 'closed') return true;
      if (state === 'open' && now() >= openUntil) {
        state = 'probing';
        return true;
      }
      return false;
    },
    closed() {
      return state === 'closed';
    },
    success() {
      state = 'closed';
      failures = 0;
    },
    failure() {
      failures++;
      if (state === 'probing' || failures >= threshold) {
        state = 'open';
        openUntil = now() + coolDownMs;
      }
    },
    reset() {
      state = 'closed';
      failures = 0;
      openUntil = 0;
    },
  };
}
