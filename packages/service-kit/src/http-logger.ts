import type { Express, Request, RequestHandler } from 'express';
import type { Logger } from './logger.ts';

/** Health probes and scrapes, polled every few seconds, are not logged; every other path is. */
const QUIET_PATHS = /^(\/api\/[a-z]+)?\/(health|health\/ready|metrics)$/;

const CHILD = Symbol('request logger');
type WithChild = Request & { [CHILD]?: Logger };

/**
 * `req.log`: a child of `logger` bound to `reqId`, so every line a handler writes carries the
 * request id. It is built the first time something asks for it, which on a healthy request at
 * `warn` is never: building one per request (what pino-http does) serialized its bindings on
 * every cache hit (decision 0013, profile). Defined once on the app's request prototype, which
 * Express gives every request before the first middleware runs.
 */
export function attachRequestLog(app: Express, logger: Logger): void {
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: WithChild): Logger {
      // Own property only: a logger read off the prototype itself must not become every request's.
      if (!Object.hasOwn(this, CHILD)) this[CHILD] = logger.child({ reqId: this.id });
      return this[CHILD] as Logger;
    },
    set(this: WithChild, value: Logger) {
      this[CHILD] = value;
    },
  });
}

/**
 * One JSON line per request when it ends: `request completed` (info), `request errored` (error,
 * any 5xx) or `request aborted` (warn, the connection closed before the whole answer was
 * written: the client left, or the server cut it), with `reqId`, method, URL, status (once
 * headers went out) and `responseTime` in ms. The line is only put together when its level is
 * enabled.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const url = req.url;
    const query = url.indexOf('?');
    if (QUIET_PATHS.test(query === -1 ? url : url.slice(0, query))) {
      next();
      return;
    }
    const started = performance.now();
    // 'close' follows 'finish' on a completed answer and comes alone on a cut connection.
    res.once('close', () => {
      const finished = res.writableFinished;
      const level = !finished ? 'warn' : res.statusCode >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        reqId: req.id,
        req: { method: req.method, url },
        res: res.headersSent ? { statusCode: res.statusCode } : { headersSent: false },
        responseTime: Math.round((performance.now() - started) * 1000) / 1000,
      };
      logger[level](line, !finished ? 'request aborted' : level === 'error' ? 'request errored' : 'request completed');
    });
    next();
  };
}

/** Writes the access line of one fast-lane hit (or not: see sampledHitLog). */
export type HitLog = (reqId: string, method: string, url: string, status: number, ms: number) => void;

/**
 * Access lines for cache hits the fast lane answers: one in `every` is written, at info, as
 * accessLog writes it plus `sampled: every` (the number of hits the line stands for). The hits
 * are counted one by one in the metrics, and nginx's access log has a line for each request;
 * misses, writes and errors keep one line each (decision 0018). `every` 1 logs them all.
 */
export function sampledHitLog(logger: Logger, every: number): HitLog {
  let seen = 0;
  return (reqId, method, url, status, ms) => {
    if (++seen < every) return;
    seen = 0;
    if (!logger.isLevelEnabled('info')) return;
    const line = { reqId, req: { method, url }, res: { statusCode: status }, responseTime: Math.round(ms * 1000) / 1000, sampled: every };
    logger.info(line, 'request completed');
  };
}
