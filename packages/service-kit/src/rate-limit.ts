import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { AppError } from './app-error.ts';
import { FallbackStore } from './fallback-store.ts';
import type { Logger } from './logger.ts';
import type { Redis } from './redis.ts';

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
}

/**
 * Adapts ioredis to rate-limit-redis. `SCRIPT LOAD` falls back to the script's SHA1 when Redis is
 * down, so a limiter created during an outage does not keep a rejected promise forever: the
 * next EVALSHA after recovery gets NOSCRIPT and the store loads the script again.
 */
function sendCommandVia(redis: Redis) {
  return async (command: string, ...args: string[]): Promise<RedisReply> => {
    const script = args[1];
    if (command.toUpperCase() === 'SCRIPT' && args[0]?.toUpperCase() === 'LOAD' && script !== undefined) {
      try {
        return (await redis.call('SCRIPT', 'LOAD', script)) as RedisReply;
      } catch {
        return createHash('sha1').update(script).digest('hex');
      }
    }
    return (await redis.call(command, ...args)) as RedisReply;
  };
}

/**
 * express-rate-limit with standard `RateLimit`/`RateLimit-Policy` headers (IETF draft 8) and a
 * Redis store shared by every worker. While Redis is unreachable each worker counts in its own
 * memory (limits loosen by the worker count, never vanish); the shop never fails because of it.
 */
export function createRateLimiter(options: RateLimitOptions): RequestHandler {
  let store: Store | undefined;
  if (options.redis) {
    let warned = false;
    const shared = new RedisStore({ prefix: `rl:${options.prefix}:`, sendCommand: sendCommandVia(options.redis) });
    store = new FallbackStore(shared, (error) => {
      if (warned) return;
      warned = true;
      options.logger.warn({ err: (error as Error).message }, 'rate limit store unavailable: counting per worker');
      setTimeout(() => (warned = false), 30_000).unref();
    });
  } else {
    options.logger.warn('rate limiting per worker: no Redis to share counts');
  }
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    store,
    // Health and metrics routes are mounted before the limiter; nothing else is exempt.
    handler: (_req, _res, _next, opts) => {
      options.onRejected?.();
      throw new AppError('RATE_LIMITED', 'Too many requests, slow down', opts.statusCode);
    },
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
): RequestHandler {
  return createRateLimiter({
    redis,
    prefix: `${config.CACHE_PREFIX}${service}`,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    max: config.RATE_LIMIT_MAX,
    logger,
    onRejected,
  });
}
