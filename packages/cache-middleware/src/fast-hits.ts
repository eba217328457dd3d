import type { IncomingHttpHeaders } from 'node:http';
import { isValidKey, type Cache } from './cache.ts';
import type { CacheEntry } from './entry.ts';
import { EDGE_CLASS, EDGE_PURGEABLE, type EdgeKeys } from './edge-keys.ts';
import { matchesEtag, type HttpEntry } from './http-entry.ts';
import { chooseBody, keyFor, normalizedUrl } from './middleware.ts';

/** The `X-Cache` value of an answer the fast lane gave, before Express (decision 0018). */
export const FAST_HIT_X_CACHE = 'HIT-FAST';

type Encoding = 'br' | 'gzip' | undefined;

/** One representation of a stored answer: its bytes and the headers that describe them. */
interface Variant {
  headers: string[];
  /** The same, telling nginx's edge cache that it may store the answer (its key is recorded). */
  purgeable: string[];
  body: Buffer;
}

/** How the pipeline served an entry: what the lane sends it with, and who else hears of it. */
export interface ServedAs {
  /** The route template (the metrics label). */
  route: string;
  cacheControl: string;
  vary: string;
  /** Told the normalized URL of each request the lane answers from it (the policy's onFastHit). */
  onServed?: (url: string) => void;
  /** The policy's record of the edge keys its answers may be stored under (HttpCacheOptions.edgeKeys). */
  edgeKeys?: EdgeKeys;
}

/** What a fresh stored answer is sent with, built once per entry: flat `[name, value, …]` header lists. */
interface Prepared {
  route: string;
  onServed: ((url: string) => void) | undefined;
  edgeKeys: EdgeKeys | undefined;
  /** Per encoding chooseBody can pick (only those the entry holds). */
  variants: Map<Encoding, Variant>;
  notModified: string[];
}

/** One answer found for a raw request. */
export interface FastHit {
  /** The route template the full pipeline served this entry under (the metrics label). */
  route: string;
  status: 200 | 304;
  /** Every header the cache layer sends with it, flat `[name, value, …]`. */
  headers: readonly string[];
  /** The bytes to send; undefined for a 304 and for HEAD. */
  body: Buffer | undefined;
  /** Call once it is sent: counts the hit (`cache_hits_total{layer="fast"}`) and tells its policy (onFastHit). */
  served(): void;
}

/**
 * The cache side of the fast lane: fresh L1 answers that the full Express pipeline has already
 * served once in this worker, found from the raw request and sent with prebuilt header lists.
 * Only entries the pipeline served are found, so the decisions Express makes from the normalized
 * key — which route, which validation, which policy — have been made for it already; what Express
 * decides from the rest of the request (credentials, a body, the rate limit) the lane checks itself.
 */
export interface FastHits {
  /** A cached route's key shape; httpCache calls it for every policy given this index. */
  register(namespace: string, varyHeaders: readonly string[]): void;
  /** The pipeline answered with `entry` fresh, as `served` says: later requests for its key may be answered before Express. */
  remember(entry: HttpEntry, served: ServedAs): void;
  /**
   * The fresh stored answer to a GET or HEAD of `url` (as received) with `headers`, or undefined.
   * The caller has already refused credentials and bodies. Counts nothing until its served();
   * records the edge key a 200 is sent under when its policy keeps them (HttpCacheOptions.edgeKeys).
   */
  find(method: string, url: string, headers: IncomingHttpHeaders): FastHit | undefined;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

function prepare(entry: HttpEntry, { route, cacheControl, vary, onServed, edgeKeys }: ServedAs): Prepared {
  // The same headers, in the same order, as the middleware's send().
  const common = ['X-Cache', FAST_HIT_X_CACHE, 'Vary', vary, 'Accept-Ranges', 'none', 'ETag', entry.etag, 'Cache-Control', cacheControl];
  const variant = (encoding: Encoding, body: Buffer): [Encoding, Variant] => {
    const headers = [...common, 'Content-Type', entry.contentType, ...(encoding ? ['Content-Encoding', encoding] : []), 'Content-Length', String(body.length)];
    return [encoding, { body, headers, purgeable: edgeKeys ? [...headers, EDGE_PURGEABLE, 'yes'] : headers }];
  };
  const variants = new Map([variant(undefined, entry.body)]);
  if (entry.br) variants.set(...variant('br', entry.br));
  if (entry.gzip) variants.set(...variant('gzip', entry.gzip));
  return { route, onServed, edgeKeys, variants, notModified: common };
}

/** The fast lane's index over `cache`'s L1 (one per service; its httpCache policies fill it). */
export function createFastHits(cache: Cache): FastHits {
  const prepared = new WeakMap<HttpEntry, Prepared>();
  const shapes = new Map<string, { namespace: string; varyHeaders: readonly string[] }>();

  const lookup = (normalized: string, headers: IncomingHttpHeaders): [CacheEntry<HttpEntry>, Prepared] | undefined => {
    for (const { namespace, varyHeaders } of shapes.values()) {
      const key = keyFor(normalized, namespace, varyHeaders, (name) => header(headers, name));
      if (!isValidKey(key)) continue;
      const stored = cache.peekFresh<HttpEntry>(key);
      const ready = stored && prepared.get(stored.value);
      if (stored && ready) return [stored, ready];
    }
    return undefined;
  };

  return {
    register(namespace, varyHeaders) {
      shapes.set(JSON.stringify([namespace, varyHeaders]), { namespace, varyHeaders: [...varyHeaders] });
    },
    remember(entry, served) {
      if (!prepared.has(entry)) prepared.set(entry, prepare(entry, served));
    },
    find(method, url, headers) {
      // Parsed once, whatever the number of policies whose keys it is tried under.
      const normalized = normalizedUrl(url);
      const found = lookup(normalized, headers);
      if (!found) return undefined;
      const [stored, ready] = found;
      const entry = stored.value;
      const served = (): void => {
        cache.countHit('fast');
        ready.onServed?.(normalized);
      };
      if (matchesEtag(header(headers, 'if-none-match'), entry.etag)) {
        return { route: ready.route, status: 304, headers: ready.notModified, body: undefined, served };
      }
      const [encoding] = chooseBody(header(headers, 'accept-encoding'), entry);
      const chosen = ready.variants.get(encoding);
      // chooseBody only picks an encoding the entry holds: a missing variant is a bug, not a request to answer.
      if (!chosen) return undefined;
      const purgeable = ready.edgeKeys?.record(url, header(headers, EDGE_CLASS), stored.tags) === true;
      return { route: ready.route, status: 200, headers: purgeable ? chosen.purgeable : chosen.headers, body: method === 'HEAD' ? undefined : chosen.body, served };
    },
  };
}
