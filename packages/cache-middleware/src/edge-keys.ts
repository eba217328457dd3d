/**
 * The keys under which nginx's edge cache may hold answers this worker gave, by tag (decision
 * 0018, lists): nginx keys an entry by the raw request URI and encoding class it was asked with,
 * which no tag names, so the worker that answered writes them down, and purges exactly those when
 * one of the answer's tags is invalidated. The edge stores only answers marked as recorded here.
 */
export interface EdgeKey {
  /** The request target as received (path and raw query), which nginx's key holds. */
  path: string;
  /** The encoding class nginx asked with (its `$edge_encoding`): `br`, `gzip` or `identity`. */
  encoding: EdgeEncoding;
}

/**
 * The response header that tells nginx an answer's key is recorded, so it may store it (nginx
 * hides it from clients). Without it, an answer on a route that records keys is not stored.
 */
export const EDGE_PURGEABLE = 'X-Edge-Purgeable';

export type EdgeEncoding = 'br' | 'gzip' | 'identity';

export interface EdgeKeys {
  /**
   * An answer carrying `tags` was sent for `path` to a request whose Accept-Encoding was exactly
   * `acceptEncoding`. True when it is recorded, so the edge may store it: the header is one nginx
   * sends for a class and the log has room. False otherwise: the edge must not store the answer.
   */
  record(path: string, acceptEncoding: string | undefined, tags: readonly string[]): boolean;
  /** The keys recorded within the hold whose answers carry one of `tags`; they are forgotten here. */
  take(tags: readonly string[]): EdgeKey[];
  /** Every key recorded within the hold (after invalidations may have been missed); all forgotten. */
  takeAll(): EdgeKey[];
  readonly size: number;
}

export interface EdgeKeysOptions {
  /**
   * How long a key stays recorded after its last answer: at least the edge's lifetime for an
   * entry (nginx's `proxy_cache_valid`, 10 s) plus the time it may still serve it while one
   * request refreshes it. Default 20 s.
   */
  holdMs?: number;
  /** Keys held at most; past that, answers are not recorded (and so not stored at the edge). Default 50 000. */
  maxKeys?: number;
  now?: () => number;
}

/** The Accept-Encoding value nginx asks with per class (nginx.conf.template `$edge_accept_encoding`). */
const CLASS_OF: Record<string, EdgeEncoding> = { br: 'br', gzip: 'gzip', identity: 'identity' };

interface Recorded extends EdgeKey {
  tags: readonly string[];
  until: number;
}

export function createEdgeKeys(options: EdgeKeysOptions = {}): EdgeKeys {
  const holdMs = options.holdMs ?? 20_000;
  const maxKeys = options.maxKeys ?? 50_000;
  const now = options.now ?? Date.now;
  const keys = new Map<string, Recorded>();
  /** Tag → ids of `keys`. May name ids since taken or re-recorded: take() checks each against `keys`. */
  const byTag = new Map<string, Set<string>>();
  let sweepAt = now() + holdMs;

  const index = (id: string, tags: readonly string[]): void => {
    for (const tag of tags) {
      let ids = byTag.get(tag);
      if (!ids) byTag.set(tag, (ids = new Set()));
      ids.add(id);
    }
  };

  /** Drops expired keys and rebuilds the tag index from those left (every hold, and when full). */
  const sweep = (at: number): void => {
    sweepAt = at + holdMs;
    for (const [id, key] of keys) if (key.until <= at) keys.delete(id);
    byTag.clear();
    for (const [id, key] of keys) index(id, key.tags);
  };

  const forget = (ids: Iterable<string>, at: number, out: EdgeKey[]): void => {
    for (const id of ids) {
      const key = keys.get(id);
      if (!key) continue;
      keys.delete(id);
      if (key.until > at) out.push({ path: key.path, encoding: key.encoding });
    }
  };

  return {
    record(path, acceptEncoding, tags) {
      const encoding = acceptEncoding === undefined ? undefined : CLASS_OF[acceptEncoding];
      if (!encoding) return false;
      const at = now();
      if (at >= sweepAt) sweep(at);
      const id = `${encoding} ${path}`;
      const known = keys.get(id);
      if (known) {
        known.until = at + holdMs;
        // Another entry answered this key since (a refill): its tags count too, until taken.
        if (known.tags !== tags) {
          known.tags = [...new Set([...known.tags, ...tags])];
          index(id, tags);
        }
        return true;
      }
      if (keys.size >= maxKeys) {
        sweep(at);
        if (keys.size >= maxKeys) return false;
      }
      keys.set(id, { path, encoding, tags, until: at + holdMs });
      index(id, tags);
      return true;
    },
    take(tags) {
      const at = now();
      const out: EdgeKey[] = [];
      for (const tag of tags) {
        const ids = byTag.get(tag);
        if (!ids) continue;
        byTag.delete(tag);
        forget(ids, at, out);
      }
      return out;
    },
    takeAll() {
      const at = now();
      const out: EdgeKey[] = [];
      forget([...keys.keys()], at, out);
      byTag.clear();
      return out;
    },
    get size() {
      return keys.size;
    },
  };
}
