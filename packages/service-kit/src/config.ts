import { z } from 'zod';
import { LOOPBACK_PROXIES, proxyListSetting } from './client-address.ts';
import { commaList } from './comma-list.ts';

/** Dev-only signing secret; refused when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

/** A TCP port setting with a default. */
export const portSetting = (fallback: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number (0 = any free port)')
    .transform(Number)
    .pipe(z.number().max(65_535))
    .default(fallback);

/** Settings every service shares; each service spreads these into its own `z.object`. */
export const baseConfigFields = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, _ or -').default('shop'),
  MONGODB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  MONGODB_SOCKET_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  REQUEST_DEADLINE_MS: z.coerce.number().int().min(100).max(120_000).default(8_000),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
  /**
   * Redis for the shared cache's L2 entries, when they live apart from REDIS_URL (rate limits,
   * fill locks, invalidation messages, metrics): a memory-capped instance of their own, so cache
   * growth can never push those out (decision 0015). Unset: the L2 uses REDIS_URL.
   */
  CACHE_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Namespace of every Redis key the service writes: cache entries and rate-limit counters. */
  CACHE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}:$/, 'must be 1-40 letters, digits, _ . - and end with ":"')
    .default('cache:'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(250),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1_000).default(60_000),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(1_200),
  /**
   * Fresh cache hits answered in the request listener, before Express (decision 0018): `on`
   * (default) or `off` (every request through the whole pipeline, X-Cache HIT-L1).
   */
  CACHE_FAST_LANE: z.enum(['on', 'off']).default('on'),
  /** One access line per this many fast-lane hits (each counted in the metrics); 1 logs every one. */
  ACCESS_LOG_HIT_SAMPLE: z.coerce.number().int().min(1).max(1_000_000).default(100),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Keep answering (with `Connection: close`) this long after a stop signal; PM2 sets 1 500. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(30_000).default(0),
  /**
   * Front load balancers in front of nginx: comma-separated IPs/CIDRs whose X-Forwarded-For names
   * the client (nginx's set_real_ip_from, and these services' `trust proxy`; decision 0017).
   * Empty (the default): none; the client is whoever connects to nginx.
   */
  TRUSTED_PROXIES: proxyListSetting(''),
  /**
   * Where nginx connects to the services from (IPs/CIDRs): the hop whose X-Forwarded-For a
   * service believes. Default loopback, nginx on the same host; empty: no hop is believed.
   */
  EDGE_PROXIES: proxyListSetting(LOOPBACK_PROXIES),
  /**
   * Every nginx that runs the edge cache (decision 0018), as comma-separated base URLs
   * (`http://127.0.0.1:8080,http://10.0.0.7`): a service that changes a product purges it there,
   * search workers move its search answers to a new generation after each index change and read
   * there the searches it answered (for their popular ranking).
   * Empty (the default): no edge cache to purge. `npm start`, docker-compose and the test stacks
   * set it to their nginx.
   */
  EDGE_PURGE_URLS: z
    .string()
    .default('')
    .transform(commaList)
    .pipe(z.array(z.string().regex(/^https?:\/\/[^\s/?#]+\/?$/, 'each must be a base URL: http(s)://host[:port]')).max(64)),
};

/** Use as `.transform(withSecrets)`: a real JWT_SECRET in production, the dev default elsewhere. */
export function withSecrets<T extends { JWT_SECRET?: string | undefined; NODE_ENV: string; HOST?: string }>(
  env: T,
  ctx: z.RefinementCtx,
): Omit<T, 'JWT_SECRET'> & { JWT_SECRET: string } {
  if (!env.JWT_SECRET && env.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
    return z.NEVER;
  }
  // The dev secret is public (it is in this repository): only a loopback-bound process may use it.
  const host = (env as { HOST?: string }).HOST ?? '127.0.0.1';
  if (!env.JWT_SECRET && !/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host)) {
    ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: `is required when HOST=${host} is not a loopback address` });
    return z.NEVER;
  }
  return { ...env, JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET };
}

/**
 * Validates `env` against `schema` and returns the typed config, or throws one error that names
 * every bad variable, so a misconfigured process dies at start instead of at the first request.
 */
export function loadConfig<TSchema extends z.ZodType>(schema: TSchema, env: NodeJS.ProcessEnv = process.env): z.output<TSchema> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
