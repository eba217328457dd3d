import http from 'node:http';
import https from 'node:https';
import { setMaxListeners } from 'node:events';
import type { InvalidationMessage } from './bus.ts';
import type { EdgeEncoding, EdgeKey, EdgeKeys } from './edge-keys.ts';

/**
 * An HTTP cache in front of the services, told of every invalidation (CacheOptions.purgers).
 * `purge` never throws: a cache it cannot reach is reported, and its entries age out.
 */
export interface Purger {
  purge(message: InvalidationMessage): Promise<void>;
  /**
   * Purges everything recorded here (EdgePurgerOptions.recorded): after a gap in the bus, in which
   * invalidations may have been missed, once this worker's L1 has been dropped. Not every purger records.
   */
  purgeRecorded?(): Promise<void>;
  /**
   * Purges only what this worker's own answers were recorded under (EdgePurgerOptions.recorded)
   * of what an invalidation names, nothing by path: what a worker that did not make the change
   * sends once it has dropped its L1 (the writer purged by path). Two rounds as `purge` when
   * anything is recorded, none otherwise. Not every purger records.
   */
  purgeAnswered?(message: InvalidationMessage): Promise<void>;
  /** Takes no new purges; waits for those in flight and those scheduled (the second round). */
  close(): Promise<void>;
}

export interface EdgePurgerOptions {
  /** Base URLs of every nginx running the edge cache (EDGE_PURGE_URLS), e.g. `http://127.0.0.1:8080`. */
  urls: readonly string[];
  /** The cached paths an invalidation makes stale (`/api/catalog/products/<id>` for `product:<id>`), purged in every encoding class. */
  pathsFor(message: InvalidationMessage): string[];
  /**
   * Keys this worker's answers were recorded under (HttpCacheOptions.edgeKeys): those whose tags
   * an invalidation names are purged too, each in its own class. Taken again for the second
   * round, which so also covers an answer recorded after the first. Default: none.
   */
  recorded?: EdgeKeys;
  /**
   * The recorded keys' generation in nginx (`PURGE <path>` moves every one of them to a new
   * generation at once): used instead of purging key by key when an invalidation names one of
   * `broadTags` (every recorded answer may carry it; also by a purger that records nothing, a
   * writer), when it names more than `maxExactKeys` recorded keys, and by purgeRecorded().
   * Default: none (always key by key).
   */
  generation?: { path: string; broadTags: readonly string[]; maxExactKeys?: number };
  /** The encoding classes nginx keys entries by (nginx/nginx.conf.template `$edge_encoding`). Default br, gzip, identity. */
  encodings?: readonly EdgeEncoding[];
  /**
   * The purge is sent again this long after the first, for an answer that left a service before
   * that service saw the invalidation and reached nginx after the first purge. Default 50 ms.
   */
  repeatAfterMs?: number;
  /** How long one round (every request to every nginx, waits for a socket included) may take; what is left then counts as failed. Default 250 ms. */
  timeoutMs?: number;
  /** Each purge request that failed (nginx unreachable, refused, slow); never thrown. */
  onError?: (error: Error, url: string) => void;
  /** Each purge request's outcome: `purged` (an entry dropped), `absent` (none stored), `failed`. */
  onResult?: (result: 'purged' | 'absent' | 'failed') => void;
}

const PURGE_PREFIX = '/_edge/purge/';
/** Default EdgePurgerOptions.generation.maxExactKeys: one round of that many stays well within 100 ms. */
const MAX_EXACT_KEYS = 256;

/**
 * Purges nginx's edge cache by exact key (decision 0018): `PURGE <url>/_edge/purge/<encoding><path>`
 * (the path as recorded, raw query included) for every key and nginx — or, for many recorded keys
 * at once, `PURGE <url><generation path>` — over kept-alive connections; the call resolves when
 * the first round is answered (or timed out), and the second round follows `repeatAfterMs` later.
 */
export function createEdgePurger(options: EdgePurgerOptions): Purger {
  const encodings: readonly EdgeEncoding[] = options.encodings ?? ['br', 'gzip', 'identity'];
  const repeatAfterMs = options.repeatAfterMs ?? 50;
  const timeoutMs = options.timeoutMs ?? 250;
  const bases = options.urls.map((url) => new URL(url));
  for (const base of bases) {
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`edge purge URL must be http(s): ${base.href}`);
  }
  const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }) };
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  type Outcome = 'purged' | 'absent' | 'failed';
  /** One PURGE of `target` (a path on nginx, sent as given); settles once, whatever happens, by the round's deadline at the latest. */
  const purgeOne = (base: URL, target: string, deadline: AbortSignal): Promise<Outcome> =>
    new Promise<Outcome>((resolve) => {
      let settled = false;
      const settle = (result: Outcome, error?: Error): void => {
        if (settled) return;
        settled = true;
        options.onResult?.(result);
        if (error) options.onError?.(error, `${base.origin}${target}`);
        resolve(result);
      };
      if (deadline.aborted) return settle('failed', new Error(`edge purge not sent: the round's ${timeoutMs} ms had passed`));
      const protocol = base.protocol === 'https:' ? https : http;
      // The deadline covers the wait for a free socket too, not only the exchange.
      const agent = agents[base.protocol as 'http:' | 'https:'];
      let req: http.ClientRequest;
      try {
        req = protocol.request(base, { path: target, method: 'PURGE', agent, signal: deadline }, (res) => {
          res.resume();
          res.once('end', () => {
            if (res.statusCode === 200) settle('purged');
            else if (res.statusCode === 404) settle('absent');
            else settle('failed', new Error(`edge purge answered ${res.statusCode}`));
          });
          res.once('error', (error) => settle('failed', error));
        });
      } catch (error) {
        // A path Node refuses to send (never one nginx passed on): nothing of it can be stored there.
        return settle('failed', error as Error);
      }
      req.once('error', (error) => settle('failed', deadline.aborted ? new Error(`edge purge took longer than ${timeoutMs} ms`) : error));
      req.end();
    });

  const track = (work: Promise<void>): Promise<void> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    return work;
  };
  /** True when every purge of the round was answered. */
  const send = (targets: readonly string[]): Promise<boolean> => {
    const deadline = AbortSignal.timeout(timeoutMs);
    // Every request of the round listens on it: no "possible leak" warning past 10 of them.
    setMaxListeners(0, deadline);
    return Promise.all(bases.flatMap((base) => targets.map((target) => purgeOne(base, target, deadline)))).then((outcomes) => !outcomes.includes('failed'));
  };
  // Sent as recorded: a URL parser would re-escape some characters of a raw query, which nginx's
  // key holds as the client sent them.
  const targetOf = ({ path, encoding }: EdgeKey): string => `${PURGE_PREFIX}${encoding}${path}`;
  const generation = options.generation;
  const broad = new Set(generation?.broadTags ?? []);
  const maxExact = generation?.maxExactKeys ?? MAX_EXACT_KEYS;
  /** What an invalidation makes stale of what this worker recorded: the keys, or their whole generation. */
  const recordedTargets = (message: InvalidationMessage): string[] => {
    const tags = message.tags ?? [];
    if (tags.length === 0) return [];
    const keys = options.recorded?.take(tags) ?? [];
    if (generation && (keys.length > maxExact || tags.some((tag) => broad.has(tag)))) return [generation.path];
    return keys.map(targetOf);
  };
  /**
   * One round. When a purge in it failed (a key this worker alone could name, left in nginx), the
   * recorded keys' whole generation moves on instead, in a round of its own.
   */
  const round = async (targets: readonly string[]): Promise<void> => {
    if ((await send(targets)) || !generation || targets.includes(generation.path)) return;
    // Not awaited: a writer waits one round's deadline at most, whatever nginx does.
    void track(send([generation.path]).then(() => undefined));
  };
  /** `first` now, and `again()` added to it `repeatAfterMs` later; resolves when the first round is answered. */
  const twice = async (first: string[], again: () => string[]): Promise<void> => {
    if (first.length === 0) return;
    await track(round(first));
    // The second round runs even when close() comes first: close() waits for it.
    void track(new Promise<void>((resolve) => setTimeout(resolve, repeatAfterMs).unref()).then(() => round([...new Set([...first, ...again()])])));
  };

  return {
    async purge(message) {
      if (closed || bases.length === 0) return;
      const paths = [...new Set(options.pathsFor(message))];
      const first = [...new Set([...paths.flatMap((path) => encodings.map((encoding) => targetOf({ path, encoding }))), ...recordedTargets(message)])];
      await twice(first, () => recordedTargets(message));
    },
    async purgeAnswered(message) {
      if (closed || bases.length === 0 || !options.recorded) return;
      // Keys recorded after this worker dropped its L1 are fresh answers: nothing recorded now,
      // nothing to send (an L2 answer an invalidation overtook is neither recorded nor stored).
      await twice(recordedTargets(message), () => recordedTargets(message));
    },
    async purgeRecorded() {
      const recorded = options.recorded;
      if (closed || bases.length === 0 || !recorded) return;
      const everything = (): string[] => {
        const keys = recorded.takeAll();
        return generation ? [generation.path] : keys.map(targetOf);
      };
      await twice(everything(), everything);
    },
    async close() {
      closed = true;
      while (inFlight.size > 0) await Promise.all(inFlight);
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
