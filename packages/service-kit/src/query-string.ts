import type { RequestHandler } from 'express';
import { AppError } from './app-error.ts';

/** Most `&`-separated parts a query string may have; more is refused with 400 TOO_MANY_PARAMETERS. */
export const MAX_QUERY_PARTS = 100;

/** The query part of a request URL: after the first `?`, before any `#` (which no parser reads). */
export function rawQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash === -1 ? undefined : hash);
}

/**
 * The services' one query-string parser, the same URLSearchParams reading the response cache
 * builds its keys from, so a handler can never see other parameters than those its cached answer
 * is filed under (Node's querystring, Express's default, silently stops after 1 000 pairs).
 * Repeated names become arrays (which the strict schemas then reject); the object has no prototype.
 */
export function parseQueryString(query: string | null | undefined): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>;
  // Express passes null when the URL has no query at all.
  if (!query) return out;
  for (const [name, value] of new URLSearchParams(query)) {
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/** True when the query of `url` has more than `max` `&`-separated parts. */
export function tooManyQueryParts(url: string, max = MAX_QUERY_PARTS): boolean {
  const query = rawQuery(url);
  let parts = query ? 1 : 0;
  for (let i = query.indexOf('&'); i !== -1 && parts <= max; i = query.indexOf('&', i + 1)) parts++;
  return parts > max;
}

/** Refuses query strings with more than `max` parts before anything parses them. */
export function limitQueryParts(max = MAX_QUERY_PARTS): RequestHandler {
  return (req, _res, next) => {
    if (tooManyQueryParts(req.originalUrl, max)) throw new AppError('TOO_MANY_PARAMETERS', `At most ${max} query parameters`, 400);
    next();
  };
}
