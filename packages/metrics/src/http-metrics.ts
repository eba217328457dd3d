import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceMetrics } from './service-metrics.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What Express leaves on a request that matched a route (and what a route may set itself). */
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}
interface RoutedResponse extends ServerResponse {
  locals?: { routeTemplate?: string };
}

/**
 * The route template a request matched (`/api/catalog/products/:id`), never the raw path, so the
 * label's values stay as few as the routes; `unmatched` for everything else (404s, scanners).
 * A route that knows its full template puts it in `res.locals.routeTemplate`.
 */
export function routeTemplate(req: RoutedRequest, res: RoutedResponse): string {
  if (res.locals?.routeTemplate) return res.locals.routeTemplate;
  const path = req.route?.path;
  if (typeof path === 'string') return `${req.baseUrl ?? ''}${path}` || '/';
  return 'unmatched';
}

/**
 * RED metrics for every request: duration (histogram), count and in-flight, labelled by method,
 * route template and status. Counted when the response finishes, or when the client goes away
 * first (status as it stood then).
 */
export function httpMetrics(metrics: ServiceMetrics) {
  const observe = observeRequest(metrics);
  return (req: RoutedRequest, res: RoutedResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    metrics.http.inFlight.inc();
    let counted = false;
    const done = (): void => {
      if (counted) return;
      counted = true;
      metrics.http.inFlight.dec();
      observe(req.method ?? '', routeTemplate(req, res), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}

/**
 * Records one answered request: one observation of its duration and one count, under its method
 * (`OTHER` beyond the usual ones), route template and status. httpMetrics uses it for Express's
 * answers; the fast lane calls it for its own. The labelled children are looked up once per label
 * set, not hashed on every request.
 */
export function observeRequest(metrics: ServiceMetrics) {
  const children = new Map<string, { observe(seconds: number): void; inc(): void }>();
  return (method: string, route: string, status: number, seconds: number): void => {
    const known = METHODS.has(method) ? method : 'OTHER';
    const id = `${known} ${status} ${route}`;
    let child = children.get(id);
    if (!child) {
      const labels = { method: known, route, status_code: String(status) };
      const duration = metrics.http.duration.labels(labels);
      const requests = metrics.http.requests.labels(labels);
      child = { observe: (value) => duration.observe(value), inc: () => requests.inc() };
      children.set(id, child);
    }
    child.observe(seconds);
    child.inc();
  };
}
