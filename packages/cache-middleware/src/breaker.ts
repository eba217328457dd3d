/**
 * A small circuit breaker for L2 calls. After `threshold` failures in a row (a stalled Redis
 * costs a full command timeout each), calls are skipped for `coolDownMs`; then one call is let
 * through, and a success closes the circuit again.
 */
export interface Breaker {
  /** False while open: skip the call and treat it as a miss. */
  allows(): boolean;
  success(): void;
  failure(): void;
}

export function createBreaker(threshold = 3, coolDownMs = 5_000, now: () => number = Date.now): Breaker {
  let failures = 0;
  let openUntil = 0;
  return {
    allows: () => now() >= openUntil,
    success: () => {
      failures = 0;
    },
    failure: () => {
      failures++;
      if (failures >= threshold) {
        openUntil = now() + coolDownMs;
        failures = threshold - 1; // one more failure after the cool-down reopens it
      }
    },
  };
}
