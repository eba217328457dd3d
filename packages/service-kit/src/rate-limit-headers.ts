import { createHash } from 'node:crypto';

/** The values of the `RateLimit-Policy` and `RateLimit` headers (IETF draft 8) for one response. */
export interface RateLimitHeaders {
  policy: string;
  state: string;
}

/**
 * The draft-8 header values exactly as express-rate-limit 8 (`standardHeaders: 'draft-8'`) wrote
 * them before we replaced it, so clients see no change: `"10-in-1min"; q=10; w=60; pk=:…:` and
 * `"10-in-1min"; r=9; t=60`.
 */
export interface RateLimitHeaderFormat {
  /** `RateLimit-Policy` for one client: fixed per client (it names the client's partition key). */
  policy(clientKey: string): string;
  /** `RateLimit`: what is left, and the seconds until the window ends. */
  state(remaining: number, resetSeconds: number): string;
}

/** express-rate-limit's default policy name: the limit and the window, `1200-in-1min`, `5-in-1sec`, `3-in-2hrs`. */
function policyName(max: number, windowMs: number): string {
  const seconds = windowMs / 1_000;
  const minutes = seconds / 60;
  const hours = minutes / 60;
  const days = hours / 24;
  let duration: string;
  if (seconds < 60) duration = `${seconds}sec`;
  else if (minutes < 60) duration = `${minutes}min`;
  else if (hours < 24) duration = `${hours}hr${hours > 1 ? 's' : ''}`;
  else duration = `${days}day${days > 1 ? 's' : ''}`;
  return `${max}-in-${duration}`;
}

/** express-rate-limit's partition key: the first 12 hex digits of the client key's SHA-256, in base64. */
const partitionKey = (clientKey: string): string =>
  Buffer.from(createHash('sha256').update(clientKey).digest('hex').slice(0, 12)).toString('base64');

/** The draft-8 `RateLimit-Policy` and `RateLimit` values of one limiter, as express-rate-limit 8 wrote them. */
export function rateLimitHeaderFormat(max: number, windowMs: number): RateLimitHeaderFormat {
  const name = `"${policyName(max, windowMs)}"`;
  const quota = `q=${max}; w=${Math.ceil(windowMs / 1_000)}`;
  return {
    policy: (clientKey) => `${name}; ${quota}; pk=:${partitionKey(clientKey)}:`,
    state: (remaining, resetSeconds) => `${name}; r=${remaining}; t=${resetSeconds}`,
  };
}

/** Whole seconds until `windowEndsAt` (monotonic ms), rounded up, never negative: `t=` and `Retry-After`. */
export const secondsUntil = (windowEndsAt: number, now: number): number => Math.max(0, Math.ceil((windowEndsAt - now) / 1_000));
