import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import proxyAddress from 'proxy-addr';
import type { HitLog } from './http-logger.ts';
import type { RateLimitHeaders } from './rate-limit-headers.ts';
import { tooManyQueryParts } from './query-string.ts';
import { requestIdFrom } from './request-id.ts';

/** Stored answers the lane may send (cache-middleware's createFastHits, structurally). */
export interface FastAnswers {
  find(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
  ): { route: string; status: number; headers: readonly string[]; body: Buffer | undefined; served(): void } | undefined;
}

/** The rate limiter's synchronous admission (service-kit's RateLimiter). */
export interface InstantAdmission {
  admitNow(ip: string): RateLimitHeaders | undefined;
}

/** What the lane needs; createServiceApp fills it from the app's own pieces. */
export interface FastLaneOptions {
  answers: FastAnswers;
  /** Every answer the lane sends spends a token here first; no token at hand → Express. */
  limiter: InstantAdmission;
  /** Express's compiled `trust proxy fn`: the client address is req.ip's. */
  trust: (address: string, hop: number) => boolean;
  /** helmet's headers, flat (security-headers.ts). */
  securityHeaders: readonly string[];
  /** RED metrics: one observation per answer, as the Express path records it (none without metrics). */
  observe: ((method: string, route: string, status: number, seconds: number) => void) | undefined;
  /** The access line (sampled). */
  log?: HitLog;
}

/** Answers the request and returns true, or returns false and leaves it untouched for Express. */
export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * What Express's body parser counts as a body (type-is `hasBody`): any Transfer-Encoding, any
 * Content-Length, `0` included — it then checks the charset and the content coding, and can refuse.
 */
const hasBody = (headers: IncomingHttpHeaders): boolean => headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;

/** Longest (peer, X-Forwarded-For) pair the lane remembers the client address of; longer ones are resolved each time. */
const MEMO_KEY_MAX = 256;
/** Pairs remembered per worker before the memo starts over (about 2 MB at most: 256-character keys). */
const MEMO_ENTRIES = 4_096;

/**
 * The client address as Express's `req.ip` resolves it (proxy-addr with the compiled trust
 * function), remembered per TCP peer and X-Forwarded-For value: proxy-addr parses every address
 * in the chain with ipaddr.js' regular expressions on each call, a few µs per request behind
 * nginx. The answer depends on those two values only. Bounded: the memo starts over when full,
 * so a client that sends a new X-Forwarded-For each time only costs the resolution it always did.
 */
export function clientAddressMemo(trust: (address: string, hop: number) => boolean): (req: IncomingMessage) => string {
  const known = new Map<string, string>();
  return (req) => {
    const peer = req.socket.remoteAddress ?? '';
    const forwarded = req.headers['x-forwarded-for'];
    const key = forwarded === undefined ? peer : `${peer} ${forwarded}`;
    if (key.length > MEMO_KEY_MAX) return proxyAddress(req, trust);
    let address = known.get(key);
    if (address === undefined) {
      address = proxyAddress(req, trust);
      if (known.size >= MEMO_ENTRIES) known.clear();
      known.set(key, address);
    }
    return address;
  };
}

/**
 * Fresh cache hits answered in the server's request listener, before Express (decision 0018):
 * a GET or HEAD with no credentials and no body whose normalized key holds a fresh L1 answer
 * that the full pipeline has already served in this worker. It sends what the pipeline would —
 * helmet's headers, the request id, the rate-limit headers (a token is spent), the stored
 * headers and bytes for the client's encoding, 304 for a matching If-None-Match — and records
 * the request in the RED metrics and the (sampled) access log. Everything else goes to Express:
 * a miss, a stale entry, a query with too many parts, a client without a token in this worker.
 */
export function createFastLane(options: FastLaneOptions): FastLane {
  const { answers, limiter, securityHeaders, observe, log } = options;
  const clientAddress = clientAddressMemo(options.trust);
  return (req, res) => {
    const started = performance.now();
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const headers = req.headers;
    if (headers.authorization !== undefined || headers.cookie !== undefined || hasBody(headers)) return false;
    const url = req.url ?? '/';
    if (tooManyQueryParts(url)) return false;
    const hit = answers.find(method, url, headers);
    if (!hit) return false;
    const limit = limiter.admitNow(clientAddress(req));
    if (!limit) return false;

    const id = requestIdFrom(headers['x-request-id']);
    const head = securityHeaders.concat(
      ['X-Request-Id', id, 'RateLimit', limit.state, 'RateLimit-Policy', limit.policy],
      hit.headers,
    );
    res.writeHead(hit.status, head);
    res.end(hit.body);
    hit.served();
    const ms = performance.now() - started;
    observe?.(method, hit.route, hit.status, ms / 1000);
    log?.(id, method, url, hit.status, ms);
    return true;
  };
}
