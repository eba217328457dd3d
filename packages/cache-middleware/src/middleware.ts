import type { Request, RequestHandler, Response } from 'express';
import { isValidKey, type Cache, type CacheStatus } from './cache.ts';
import { EDGE_CLASS, EDGE_PURGEABLE, type EdgeKeys } from './edge-keys.ts';
import type { CacheEntry } from './entry.ts';
import type { FastHits } from './fast-hits.ts';
import { buildHttpEntry, matchesEtag, type HttpEntry } from './http-entry.ts';

export interface HttpCacheOptions {
  cache: Cache;
  /** Fresh for this long, ms; also `max-age` in Cache-Control. */
  ttl: number;
  /** Served stale while refreshing, ms; also `stale-while-revalidate`. Default 0. */
  staleWhileRevalidate?: number;
  /** Served stale while the handler fails, ms. Default 0. */
  staleIfError?: number;
  /** Tags for the stored response, given the request and the parsed JSON body. */
  tags?: (req: Request, body: unknown) => readonly string[];
  /**
   * Request headers that change the response and so belong in the key (lowercase). Nothing
   * else is: X-Forwarded-Host, Cookie or any header not listed here cannot split or poison the cache.
   */
  varyHeaders?: readonly string[];
  /** Key namespace, e.g. the service name. */
  namespace: string;
  /**
   * The service's fast lane index (createFastHits): entries this policy serves fresh are
   * remembered there, and later requests for them are answered before Express. Default: none.
   */
  fastHits?: FastHits;
  /**
   * Told the normalized URL (normalizedUrl) of every request the fast lane answers from this
   * policy's entries: what middleware mounted before this one would have seen of it (search counts
   * its popular queries here). Default: nothing.
   */
  onFastHit?: (url: string) => void;
  /**
   * For routes whose answers nginx's edge cache may hold under keys no tag names (a listing's
   * raw query): every 200 given from a fresh stored entry to a request from an edge location
   * (EDGE_CLASS) records its raw URL and class with the entry's tags, and is marked
   * `X-Edge-Purgeable` so the edge may store it; an invalidation of those tags purges exactly
   * those keys (createEdgePurger `recorded`). Default: none (nothing recorded or marked).
   */
  edgeKeys?: EdgeKeys;
}

/**
 * Request headers that proxies use to rewrite host, URL or method. Express reads some of them
 * (`req.hostname` honours X-Forwarded-Host behind a trusted proxy), so a handler could reflect
 * them into a response that is then stored for every client: they are removed before a cached
 * handler runs unless declared as vary headers.
 */
const UNKEYED_HEADERS = [
  'x-forwarded-host',
  'x-forwarded-server',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'x-forwarded-port',
  'forwarded',
  'x-host',
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
];

/**
 * Request headers that make an answer differ from what a plain GET of the URL gets: conditionals
 * (a handler's `req.fresh` would turn `If-None-Match: *` into an empty 304) and ranges. The
 * handler that fills an entry never sees them; they are applied to the stored answer afterwards
 * (If-None-Match → 304) or ignored (the rest: see decision 0006).
 */
const REQUEST_PRECONDITIONS = ['if-none-match', 'if-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'range'];

/** Response headers a pass-through answer keeps for every coalesced request. */
const PASSED_THROUGH = ['cache-control', 'retry-after'];

/** What the handler answered a plain GET with. */
interface Captured {
  status: number;
  contentType: string;
  chunks: Buffer[];
  /** The handler's own headers among PASSED_THROUGH. */
  headers: Record<string, string>;
  cacheable: boolean;
}

/** A handler that asks not to be stored: `Cache-Control: no-store`, `private` or `no-cache`. */
const FORBIDS_STORING = /\b(?:no-store|private|no-cache)\b/i;

/**
 * Not cacheable (non-200, Set-Cookie, `no-store`, …): carried to every coalesced request and sent
 * as is. Below 500 it is the origin's answer, not a failure: stale-if-error never covers it (a
 * product deleted answers 404 at once, not its old page for ten minutes).
 */
class UncacheableResponse extends Error {
  readonly entry: HttpEntry;
  readonly headers: Record<string, string>;
  constructor(entry: HttpEntry, headers: Record<string, string>) {
    super('response not cacheable');
    this.entry = entry;
    this.headers = headers;
  }
}

const isOriginAnswer = (error: unknown): boolean => error instanceof UncacheableResponse && error.entry.status < 500;

/**
 * `/path?b=2&a=1` (as received) → `/path?a=1&b=2`: the parameters sorted, so their order does not
 * split the cache, and nothing from a `#` on. The form every key is built from (and search counts
 * its popular queries by).
 */
export function normalizedUrl(url: string): string {
  // A `#` ends the URL for every parser (Express never reads past it), so it ends the key too.
  const hash = url.indexOf('#');
  if (hash !== -1) url = url.slice(0, hash);
  const q = url.indexOf('?');
  if (q === -1) return url;
  // The same reading as the services' query parser (service-kit parseQueryString): what a
  // handler sees is exactly what the key says.
  const params = new URLSearchParams(url.slice(q + 1));
  params.sort();
  const query = params.toString();
  return query ? `${url.slice(0, q)}?${query}` : url.slice(0, q);
}

/**
 * The key of a request for `normalized` (normalizedUrl) whose header `name` reads as
 * `header(name)`: inside Express (normalizedKey) and from the raw request before it (fast-hits.ts).
 */
export function keyFor(normalized: string, namespace: string, varyHeaders: readonly string[], header: (name: string) => string | undefined): string {
  let key = `http:${namespace}:${normalized}`;
  for (const name of varyHeaders) key += `|${name}=${header(name) ?? ''}`;
  return key;
}

/** The key of this request: its normalized URL and the declared vary headers only. */
function normalizedKey(req: Request, namespace: string, varyHeaders: readonly string[]): string {
  return keyFor(normalizedUrl(req.originalUrl), namespace, varyHeaders, (name) => req.get(name));
}

/** q-value the Accept-Encoding header gives `coding` (RFC 9110 §12.5.3), `*` included. */
export function acceptQuality(header: string | undefined, coding: string): number {
  if (!header) return 0;
  let wildcard = 0;
  for (const part of header.split(',')) {
    // Optional whitespace around `;` and `=` is legal (`gzip ;q=1`, `br; q = 0`).
    const [name = '', ...params] = part.toLowerCase().split(';').map((p) => p.trim());
    const qParam = params.map((p) => p.split('=').map((side) => side.trim())).find(([key]) => key === 'q');
    const q = qParam ? Number(qParam[1]) : 1;
    const quality = Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0;
    if (name === coding) return quality;
    if (name === '*') wildcard = quality;
  }
  return wildcard;
}

/** Brotli when the client takes it at least as gladly as gzip, then gzip, else the plain body. */
export function chooseBody(header: string | undefined, entry: HttpEntry): ['br' | 'gzip' | undefined, Buffer] {
  if (!entry.br || !entry.gzip) return [undefined, entry.body];
  const br = acceptQuality(header, 'br');
  const gzip = acceptQuality(header, 'gzip');
  if (br > 0 && br >= gzip) return ['br', entry.br];
  if (gzip > 0) return ['gzip', entry.gzip];
  return [undefined, entry.body];
}

/** The route template this request matched (as the metrics label it), or undefined outside a route. */
function routeOf(req: Request, res: Response): string | undefined {
  const template = (res.locals as { routeTemplate?: unknown }).routeTemplate;
  if (typeof template === 'string') return template;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` || '/' : undefined;
}

/**
 * Records the edge key of a 200 given from a fresh stored entry (HIT-L1, HIT-L2), and marks it
 * for nginx, when the policy keeps edge keys (HttpCacheOptions.edgeKeys). A 304 is not stored by
 * nginx (it asks without preconditions): not recorded.
 */
function markForEdge(req: Request, res: Response, cache: Cache, key: string, edgeKeys: EdgeKeys | undefined, stored: CacheEntry<HttpEntry>, status: CacheStatus): void {
  if (!edgeKeys || (status !== 'HIT-L1' && status !== 'HIT-L2') || matchesEtag(req.get('if-none-match'), stored.value.etag)) return;
  // An L2 answer only when this worker's L1 took that entry: an L2 read that an invalidation
  // overtook was refused there (and its record could come after this worker's purges). A HIT-L1
  // is the entry L1 holds.
  if (status === 'HIT-L2' && cache.peekFresh<HttpEntry>(key)?.value !== stored.value) return;
  if (edgeKeys.record(req.originalUrl, req.get(EDGE_CLASS), stored.tags)) res.setHeader(EDGE_PURGEABLE, 'yes');
}

/** A stored (or shared) answer to this request: 304 when If-None-Match names it; HEAD gets no body. */
function send(req: Request, res: Response, entry: HttpEntry, status: CacheStatus, cacheControl: string, vary: string): void {
  res.setHeader('X-Cache', status);
  res.setHeader('Vary', vary);
  // Ranges are not served (the whole body is small and compressed): say so, as RFC 9110 §14.3 allows.
  res.setHeader('Accept-Ranges', 'none');
  res.setHeader('ETag', entry.etag);
  res.setHeader('Cache-Control', cacheControl);
  if (matchesEtag(req.get('if-none-match'), entry.etag)) {
    res.status(304).end();
    return;
  }
  const [encoding, body] = chooseBody(req.get('accept-encoding'), entry);
  res.status(200);
  res.setHeader('Content-Type', entry.contentType);
  if (encoding) res.setHeader('Content-Encoding', encoding);
  res.setHeader('Content-Length', body.length);
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

/** The origin's answer that is not stored, as the handler gave it (its Cache-Control, Retry-After). */
function passThrough(res: Response, answer: UncacheableResponse, vary: string): void {
  res.setHeader('X-Cache', 'BYPASS');
  res.setHeader('Vary', vary);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.status(answer.entry.status).type(answer.entry.contentType).send(answer.entry.body);
}

/**
 * Runs the rest of the chain as a plain GET of the URL — whatever the method, preconditions or
 * ranges of this request — and captures its response instead of sending it: what is stored, and
 * shared with coalesced requests, is what any GET would be given. The request is restored after.
 */
async function renderAsPlainGet(req: Request, res: Response, next: () => void): Promise<Captured> {
  const method = req.method;
  const preconditions = REQUEST_PRECONDITIONS.flatMap((name) => {
    const value = req.headers[name];
    Reflect.deleteProperty(req.headers, name);
    return value === undefined ? [] : [[name, value] as const];
  });
  req.method = 'GET';
  try {
    return await captureDownstream(res, next);
  } finally {
    req.method = method;
    for (const [name, value] of preconditions) req.headers[name] = value;
  }
}

/** Runs the rest of the chain for this request, capturing its response instead of sending it. */
function captureDownstream(res: Response, next: () => void): Promise<Captured> {
  return new Promise((resolve) => {
    const original = { write: res.write, end: res.end, writeHead: res.writeHead };
    const captured: Captured = { status: 200, contentType: 'application/json; charset=utf-8', chunks: [], headers: {}, cacheable: true };
    const restore = (): void => {
      res.write = original.write;
      res.end = original.end;
      res.writeHead = original.writeHead;
    };
    const toBuffer = (chunk: unknown, encoding?: unknown): Buffer | undefined =>
      chunk === undefined || chunk === null || typeof chunk === 'function'
        ? undefined
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    res.writeHead = function writeHead(this: Response) {
      return this;
    } as Response['writeHead'];
    res.write = function write(chunk: unknown, encoding?: unknown) {
      const buffer = toBuffer(chunk, encoding);
      if (buffer) captured.chunks.push(buffer);
      return true;
    } as Response['write'];
    res.end = function end(this: Response, chunk?: unknown, encoding?: unknown) {
      const buffer = toBuffer(chunk, encoding);
      if (buffer) captured.chunks.push(buffer);
      captured.status = res.statusCode;
      captured.contentType = String(res.getHeader('content-type') ?? captured.contentType);
      for (const name of PASSED_THROUGH) {
        const value = res.getHeader(name);
        if (value !== undefined) captured.headers[name] = String(value);
      }
      captured.cacheable =
        res.statusCode === 200 && res.getHeader('set-cookie') === undefined && !FORBIDS_STORING.test(captured.headers['cache-control'] ?? '');
      // Headers the handler set are not reused: the cached answer carries only its own.
      for (const name of ['content-length', 'etag', 'content-type', 'cache-control', 'location', 'retry-after']) res.removeHeader(name);
      restore();
      resolve(captured);
      return this;
    } as Response['end'];
    next();
  });
}

/**
 * Caches GET/HEAD responses of the routes it guards: a normalized key (sorted query, declared
 * vary headers only), strong ETag and 304, Cache-Control, `X-Cache: HIT-L1|HIT-L2|MISS|STALE`,
 * and bodies compressed once (br and gzip) at store time and served to clients that accept them.
 * Requests with credentials (Authorization, Cookie) bypass it, so nothing private is shared.
 */
export interface HttpCacheMiddleware extends RequestHandler {
  /**
   * Cache warming: stores the 200 JSON answer for `url` (path and query, as a client would send
   * it) under the key a request for it would use, unless a fresh one is already cached. `render`
   * runs only then, once across workers; the body is serialized as `res.json` does. Requests
   * with vary headers are warmed with those headers absent. Undefined when `url` is too long (or
   * odd) to be a key: such requests are never cached, so there is nothing to warm.
   */
  warm(url: string, render: () => Promise<unknown>, tags: readonly string[]): Promise<CacheStatus | undefined>;
}

export function httpCache(options: HttpCacheOptions): HttpCacheMiddleware {
  const varyHeaders = (options.varyHeaders ?? []).map((h) => h.toLowerCase());
  const vary = ['Accept-Encoding', ...varyHeaders].join(', ');
  const unkeyed = UNKEYED_HEADERS.filter((name) => !varyHeaders.includes(name));
  const swrSeconds = Math.floor((options.staleWhileRevalidate ?? 0) / 1000);
  const cacheControl =
    `public, max-age=${Math.floor(options.ttl / 1000)}` + (swrSeconds > 0 ? `, stale-while-revalidate=${swrSeconds}` : '');

  const lifetimes = {
    ttl: options.ttl,
    staleWhileRevalidate: options.staleWhileRevalidate,
    staleIfError: options.staleIfError,
  };

  options.fastHits?.register(options.namespace, varyHeaders);
  /** A fresh answer the pipeline just sent: while this worker's L1 holds it, the fast lane may send it too. */
  const remember = (req: Request, res: Response, entry: HttpEntry, status: CacheStatus): void => {
    if (!options.fastHits || status === 'STALE') return;
    const route = routeOf(req, res);
    if (route !== undefined) options.fastHits.remember(entry, { route, cacheControl, vary, onServed: options.onFastHit, edgeKeys: options.edgeKeys });
  };

  const middleware: RequestHandler = async (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.get('authorization') || req.get('cookie')) {
      res.setHeader('X-Cache', 'BYPASS');
      next();
      return;
    }
    const key = normalizedKey(req, options.namespace, varyHeaders);
    if (!isValidKey(key)) {
      // A URL too long (or odd) to be a key is nobody's hot path: answer it uncached.
      res.setHeader('X-Cache', 'BYPASS');
      next();
      return;
    }
    const hot = options.cache.peekFresh<HttpEntry>(key);
    if (hot) {
      options.cache.countHit('l1');
      markForEdge(req, res, options.cache, key, options.edgeKeys, hot, 'HIT-L1');
      send(req, res, hot.value, 'HIT-L1', cacheControl, vary);
      remember(req, res, hot.value, 'HIT-L1');
      return;
    }
    try {
      const resolved = await options.cache.resolve<HttpEntry>(
        key,
        async () => {
          // Headers not in the key must not shape what gets stored for everyone.
          for (const name of unkeyed) Reflect.deleteProperty(req.headers, name);
          const captured = await renderAsPlainGet(req, res, next);
          const entry = buildHttpEntry(captured.status, captured.contentType, Buffer.concat(captured.chunks), captured.cacheable);
          if (!captured.cacheable) throw new UncacheableResponse(entry, captured.headers);
          return entry;
        },
        {
          ...lifetimes,
          refresh: 'foreground',
          isAnswer: isOriginAnswer,
          tags: (entry) => (options.tags ? options.tags(req, parseJson(entry.body)) : []),
        },
      );
      if (!res.headersSent) {
        markForEdge(req, res, options.cache, key, options.edgeKeys, resolved.entry, resolved.status);
        send(req, res, resolved.value, resolved.status, cacheControl, vary);
        remember(req, res, resolved.value, resolved.status);
      }
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause ?? error;
      if (cause instanceof UncacheableResponse) {
        if (!res.headersSent) passThrough(res, cause, vary);
        return;
      }
      throw cause;
    }
  };

  const warm: HttpCacheMiddleware['warm'] = async (url, render, tags) => {
    const key = keyFor(normalizedUrl(url), options.namespace, varyHeaders, () => undefined);
    if (!isValidKey(key)) return undefined;
    const resolved = await options.cache.resolve<HttpEntry>(
      key,
      async () => buildHttpEntry(200, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(await render()), 'utf8')),
      { ...lifetimes, tags },
    );
    return resolved.status;
  };
  return Object.assign(middleware, { warm });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
