import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { createAuth, type Auth } from './auth.ts';
import { trustProxySetting, type ProxySettings } from './client-address.ts';
import { compressResponses } from './compress-responses.ts';
import { baseConfigFields, loadConfig, withSecrets } from './config.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { createFastLane, type FastAnswers, type FastLane, type InstantAdmission } from './fast-lane.ts';
import { healthRouter, type HealthCheck } from './health.ts';
import { rejectHostileKeys } from './hostile-keys.ts';
import { accessLog, attachRequestLog, sampledHitLog } from './http-logger.ts';
import type { Logger } from './logger.ts';
import { limitQueryParts, parseQueryString } from './query-string.ts';
import { requestDeadline } from './request-deadline.ts';
import { requestId } from './request-id.ts';
import { headersSetBy } from './security-headers.ts';

export interface ServiceAppOptions {
  /** Service name: in logs and health answers. */
  service: string;
  /** API prefix, e.g. `/api/catalog`. Health answers at `/health` and `<prefix>/health`. */
  prefix: string;
  logger: Logger;
  healthChecks: readonly HealthCheck[];
  /** Mounted before the body parser, e.g. the rate limiter. */
  beforeRoutes?: RequestHandler[];
  /** The service's API router, mounted under `prefix`. */
  routes: Router;
  /** Further APIs this service serves under prefixes of their own (the catalog: /api/performance). */
  mounts?: { prefix: string; router: Router }[];
  /** Called when an error handler meets a catastrophic error. */
  onCatastrophic?: () => void;
  /** JSON body limit. Default 500 kb. */
  bodyLimit?: string;
  /** A request without a response after this long gets 503 DEPENDENCY_TIMEOUT. Default 8 000 ms. */
  requestDeadlineMs?: number;
  /**
   * Metrics (@shop/metrics): `http` sees every request first; `scrape` answers `GET /metrics`
   * (mounted like health: before the rate limit and the deadline).
   */
  metrics?: {
    http: RequestHandler;
    scrape: () => Promise<string | null>;
    contentType: string;
    /** Records one request answered outside Express (the fast lane), as `http` would. */
    observe: (method: string, route: string, status: number, seconds: number) => void;
  };
  /**
   * Fresh cache hits answered before Express (decision 0018): the service's stored answers
   * (cache-middleware createFastHits), the rate limiter every such answer spends a token of, and
   * how many of those hits share one access line (ACCESS_LOG_HIT_SAMPLE; 1 logs each). The app
   * then carries `fastLane`, which listen() runs first. Default: none.
   */
  fastLane?: { answers: FastAnswers; limiter: InstantAdmission; hitLogEvery: number };
  /**
   * Who may name the client in X-Forwarded-For (Express `trust proxy`): the nginx hop
   * (EDGE_PROXIES) and front load balancers (TRUSTED_PROXIES); a service passes its config.
   * Default: both from process.env, validated as the config validates them (a bad value throws).
   */
  proxies?: ProxySettings;
  /**
   * Verifies bearer tokens on the health routes: an admin token sees readiness detail from
   * anywhere. Default: a verifier for JWT_SECRET as the config resolves it from process.env (none
   * when it cannot: then only local callers see the detail).
   */
  auth?: Auth;
}

/** EDGE_PROXIES and TRUSTED_PROXIES from the environment, as every service's config reads them. */
function proxiesFromEnv(): ProxySettings {
  return loadConfig(z.object({ EDGE_PROXIES: baseConfigFields.EDGE_PROXIES, TRUSTED_PROXIES: baseConfigFields.TRUSTED_PROXIES }), process.env);
}

/** The token verifier for JWT_SECRET as every service's config resolves it (the dev secret only on loopback outside production). */
function authFromEnv(): Auth | undefined {
  const schema = z.object({ NODE_ENV: baseConfigFields.NODE_ENV, HOST: baseConfigFields.HOST, JWT_SECRET: baseConfigFields.JWT_SECRET }).transform(withSecrets);
  const parsed = schema.safeParse(process.env);
  return parsed.success ? createAuth(parsed.data.JWT_SECRET) : undefined;
}

/** A service app, with the listener that answers fresh cache hits before it (when configured). */
export type ServiceApp = Express & { fastLane?: FastLane };

/**
 * The Express app every service gets: X-Forwarded-For believed only from the nginx hop and trusted
 * load balancers (decision 0017), helmet, request ids,
 * JSON logs, brotli/gzip over 1 KB, 500 kb JSON bodies, hostile-key rejection, health, the
 * service's routes, 404s and one central error handler.
 */
export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const app = express();
  app.disable('x-powered-by');
  // A peer that is not listed never chooses its req.ip (nor its rate-limit bucket) by header.
  app.set('trust proxy', trustProxySetting(options.proxies ?? proxiesFromEnv()));
  app.set('etag', false);
  app.set('query parser', parseQueryString);

  if (options.metrics) app.use(options.metrics.http);
  app.use(requestId());
  attachRequestLog(app, options.logger);
  app.use(accessLog(options.logger));
  app.use(limitQueryParts());
  const security = helmet();
  app.use(security);
  app.use(compressResponses({ threshold: 1024 }));

  const health = healthRouter(options.service, options.healthChecks, { auth: options.auth ?? authFromEnv() });
  app.use(health);
  app.use(options.prefix, health);
  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', (_req, res, next) => {
      metrics.scrape().then((text) => {
        if (text !== null) {
          res.type(metrics.contentType).send(text);
          return;
        }
        // The shared totals are unreadable (Redis): a gap in the series, not a false reset.
        res.setHeader('Retry-After', '5');
        res.status(503).json({ error: { code: 'METRICS_UNAVAILABLE', message: 'Cluster-wide metrics are unavailable (Redis); retry shortly' } });
      }, next);
    });
  }

  app.use(requestDeadline(options.requestDeadlineMs ?? 8_000));
  for (const middleware of options.beforeRoutes ?? []) app.use(middleware);
  app.use(express.json({ limit: options.bodyLimit ?? '500kb', strict: true }));
  app.use(rejectHostileKeys());
  app.use(options.prefix, options.routes);
  for (const mount of options.mounts ?? []) app.use(mount.prefix, mount.router);

  app.use(notFoundHandler());
  app.use(errorHandler({ logger: options.logger, onCatastrophic: options.onCatastrophic }));
  if (!options.fastLane) return app;
  const fastLane = createFastLane({
    answers: options.fastLane.answers,
    limiter: options.fastLane.limiter,
    trust: app.get('trust proxy fn') as (address: string, hop: number) => boolean,
    securityHeaders: headersSetBy(security),
    observe: options.metrics?.observe,
    log: sampledHitLog(options.logger, options.fastLane.hitLogEvery),
  });
  return Object.assign(app, { fastLane });
}
