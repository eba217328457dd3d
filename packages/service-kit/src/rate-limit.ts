import type { RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { AppError } from './app-error.ts';
import { failoverLeaseSource } from './failover-lease-source.ts';
import { createLeasedLimiter } from './leased-limiter.ts';
import { redisLeaseSource } from './lease-script.ts';
import type { LeaseSource } from './lease-source.ts';
import { throttledWarn, type Logger } from './logger.ts';
import { createMemoryLeaseSource } from './memory-lease-source.ts';
import type { RateLimitHeaders } from './rate-limit-headers.ts';
import type { Redis } from './redis.ts';

export type { RateLimitHeaders };

export interface RateLimitOptions {
  /** Shared store; without it each worker counts on its own (logged as a warning). */
  redis?: Redis;
  /** Keys are `rl:<prefix>:<client>`; one prefix per service keeps budgets apart. */
  prefix: string;
  windowMs: number;
  /** Requests per client per window, across all workers. */
  max: number;
  logger: Logger;
  /** Called for every request refused with 429 (the rejections metric). */
  onRejected?: () => void;
  /**
   * Clients this worker keeps state for (token buckets; counts while Redis fails), each at most
   * this many: the least recently seen are forgotten first. Default 20 000: both full take about
   * 8 MB (measured: 20 MB for 50 000).
   */
  maxClients?: number;
}

/** The rate-limit middleware, plus admission without Express for an in-process fast lane. */
export interface RateLimiter extends RequestHandler {
  /**
   * Synchronous admission for a request whose client address (as Express's req.ip would give it) is `ip`:
   * when this worker holds a token for that client in the current window it takes one and returns
   * the two header values to send; otherwise undefined (no token held here, or over the limit) and
   * the caller runs the Express path (the middleware), which leases from Redis or answers 429.
   * Never waits on Redis; may start a background refill.
   */
  admitNow(ip: string): RateLimitHeaders | undefined;
  /** Stops timers (bucket sweeps); the service's shutdown calls it. */
  close(): void;
}

const DEFAULT_MAX_CLIENTS = 20_000;

/**
 * The client key express-rate-limit 8's default keyGenerator used, so budgets and Redis keys stay
 * as they were: the address, IPv6 masked to its /56. A request without an address (its socket
 * already gone) was keyed `undefined`.
 */
const clientKey = (ip: string | undefined): string => (ip === undefined ? 'undefined' : ipKeyGenerator(ip));

function setHeaders(res: Response, headers: RateLimitHeaders): void {
  if (res.headersSent) return;
  res.append('RateLimit', headers.state);
  res.append('RateLimit-Policy', headers.policy);
}

/** Redis, with this worker's memory when it fails (one warning, then quiet for 30 s); or memory alone. */
function leaseSource(options: RateLimitOptions, local: LeaseSource): LeaseSource {
  if (!options.redis) {
    options.logger.warn('rate limiting per worker: no Redis to share counts');
    return local;
  }
  const warn = throttledWarn(options.logger, 'rate limit store unavailable: counting per worker');
  const shared = redisLeaseSource(options.redis, options.prefix, options.max, options.windowMs);
  const redis = options.redis;
  return failoverLeaseSource(shared, local, () => redis.status === 'ready', (error) => warn(error, options.prefix));
}

/**
 * Rate limiting per client and fixed window, shared by every worker through Redis without a Redis
 * round trip per request: workers lease tokens in batches and admit from them locally
 * (leased-limiter.ts: lease size, tolerance). Standard `RateLimit`/`RateLimit-Policy` headers
 * (IETF draft 8) on every answer, 429 `RATE_LIMITED` with `Retry-After` past the limit. While Redis
 * fails each worker counts in its own memory (limits loosen by the worker count, never vanish);
 * the shop never fails or slows because of it.
 */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const { max, windowMs } = options;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`rate limit max must be a whole number ≥ 1, not ${max}`);
  if (!(windowMs > 0 && Number.isFinite(windowMs))) throw new RangeError(`rate limit windowMs must be positive, not ${windowMs}`);
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  const local = createMemoryLeaseSource(max, windowMs, maxClients);
  const limiter = createLeasedLimiter({ source: leaseSource(options, local), max, windowMs, maxClients });
  const sweeper = setInterval(
    () => {
      const now = performance.now();
      limiter.sweep(now);
      local.sweep(now);
    },
    Math.min(Math.max(windowMs, 1_000), 60_000),
  );
  sweeper.unref();

  const middleware: RequestHandler = (req, res, next) => {
    const key = clientKey(req.ip);
    const headers = limiter.admitNow(key);
    if (headers) {
      setHeaders(res, headers);
      next();
      return;
    }
    limiter
      .admitByLease(key)
      .then((verdict) => {
        setHeaders(res, verdict);
        if (verdict.admitted) {
          next();
          return;
        }
        if (!res.headersSent) res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
        options.onRejected?.();
        next(new AppError('RATE_LIMITED', 'Too many requests, slow down', 429));
      })
      .catch(next);
  };
  return Object.assign(middleware, {
    admitNow: (ip: string) => limiter.admitNow(clientKey(ip)),
    close: () => clearInterval(sweeper),
  });
}

/**
 * The limiter of one service (`rl:<CACHE_PREFIX><service>:`), from its validated settings. The
 * deployment's key prefix keeps stacks that share a Redis (test runs, staging next to a demo)
 * from spending each other's budgets.
 */
export function rateLimiterFromConfig(
  config: { RATE_LIMIT_WINDOW_MS: number; RATE_LIMIT_MAX: number; CACHE_PREFIX: string },
  redis: Redis,
  service: string,
  logger: Logger,
  onRejected?: () => void,
): RateLimiter {
  return createRateLimiter({
    redis,
    prefix: `${config.CACHE_PREFIX}${service}`,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    max: config.RATE_LIMIT_MAX,
    logger,
    onRejected,
  });
}
