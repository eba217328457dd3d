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
  return (req: RoutedRequest, res: RoutedResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    metrics.http.inFlight.inc();
    let counted = false;
    const done = (): void => {
      if (counted) return;
      counted = true;
      metrics.http.inFlight.dec();
      const labels = {
        method: METHODS.has(req.method ?? '') ? (req.method as string) : 'OTHER',
        route: routeTemplate(req, res),
        status_code: String(res.statusCode),
      };
      metrics.http.duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      metrics.http.requests.inc(labels);
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
