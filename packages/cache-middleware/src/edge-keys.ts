/**
 * The keys under which nginx's edge cache may hold answers this worker gave, by tag (decision
 * 0018, listings): nginx keys an entry by the raw request URI and encoding class it was asked
 * with, which no tag names, so the worker that answered writes them down, and purges exactly
 * those when one of the answer's tags is invalidated. The edge stores only answers marked as
 * recorded here.
 */
export interface EdgeKey {
  /** The request target as received (path and raw query), which nginx's key holds. */
  path: string;
  /** The encoding class nginx keyed the request by (its `$edge_encoding`). */
  encoding: EdgeEncoding;
}

export type EdgeEncoding = 'br' | 'gzip' | 'identity';

/**
 * The response header that tells nginx an answer's key is recorded, so it may store it (nginx
 * hides it from clients). Without it, an answer on a route that records keys is not stored.
 */
export const EDGE_PURGEABLE = 'X-Edge-Purgeable';

/**
 * The request header in which nginx's edge locations send the encoding class they key the
 * request by (nginx/edge-proxy.conf); nginx clears it on every other request, so a client's own
 * never arrives. A key is recorded only for a request that carries it.
 */
export const EDGE_CLASS = 'x-edge-class';

export interface EdgeKeys {
  /**
   * An answer carrying `tags` was sent for `path` to a request nginx keyed by `edgeClass` (the
   * EDGE_CLASS header). True when the edge may store it: its key is recorded (createEdgeKeys), or
   * a generation covers it (generationEdgeKeys). False when the request did not come from an edge
   * location, when the record is full, or while it is not active: then the edge must not store
   * the answer.
   */
  record(path: string, edgeClass: string | undefined, tags: readonly string[]): boolean;
  /** The keys recorded within the hold whose answers carry one of `tags`; they are forgotten here. */
  take(tags: readonly string[]): EdgeKey[];
  /** Every key recorded within the hold (after invalidations may have been missed); all forgotten. */
  takeAll(): EdgeKey[];
  readonly size: number;
}

export interface EdgeKeysOptions {
  /**
   * How long a key stays recorded after its last answer: at least the edge's lifetime for an
   * entry (nginx's `proxy_cache_valid`, 10 s; listings are never served past it). Default 20 s.
   */
  holdMs?: number;
  /** Keys held at most; past that, answers are not recorded (and so not stored at the edge). Default 20 000. */
  maxKeys?: number;
  /** (key, tag) pairs held at most, the index's size: a listing of 100 products has 101 tags. Default 200 000. */
  maxTagRefs?: number;
  /**
   * Raw URLs recorded per stored entry and class: the same listing asked with its parameters in
   * other orders or escapes. Past that, answers are not recorded: a client cannot fill the record
   * with variants of one cached listing. Default 4.
   */
  maxVariants?: number;
  /**
   * Recording happens only while this says so: while this worker hears every invalidation (its
   * bus subscription is up), an answer it gives is purged when it changes. Default: always.
   */
  active?: () => boolean;
  now?: () => number;
}

const CLASSES: ReadonlySet<string> = new Set<EdgeEncoding>(['br', 'gzip', 'identity']);

interface Recorded extends EdgeKey {
  /** Every tag an answer under this key carried while recorded. */
  tags: Set<string>;
  /** The tag list last recorded (an entry's own array: one comparison per repeated hit). */
  last: readonly string[];
  until: number;
}

export function createEdgeKeys(options: EdgeKeysOptions = {}): EdgeKeys {
  const holdMs = options.holdMs ?? 20_000;
  const maxKeys = options.maxKeys ?? 20_000;
  const maxTagRefs = options.maxTagRefs ?? 200_000;
  const maxVariants = options.maxVariants ?? 4;
  const active = options.active ?? (() => true);
  const now = options.now ?? Date.now;
  /** In order of last answer (a key answered again moves to the end): the expired ones lead. */
  const keys = new Map<string, Recorded>();
  const byTag = new Map<string, Set<string>>();
  let tagRefs = 0;
  /** Keys recorded per stored entry (its tag list is the entry's own array) and class. */
  const variants = new WeakMap<readonly string[], Map<string, Set<string>>>();
  const variantsOf = (tags: readonly string[], edgeClass: string): Set<string> => {
    let byClass = variants.get(tags);
    if (!byClass) variants.set(tags, (byClass = new Map()));
    let ids = byClass.get(edgeClass);
    if (!ids) byClass.set(edgeClass, (ids = new Set()));
    return ids;
  };

  const index = (id: string, key: Recorded, tags: readonly string[]): boolean => {
    for (const tag of tags) {
      if (key.tags.has(tag)) continue;
      if (tagRefs >= maxTagRefs) return false;
      key.tags.add(tag);
      tagRefs++;
      let ids = byTag.get(tag);
      if (!ids) byTag.set(tag, (ids = new Set()));
      ids.add(id);
    }
    return true;
  };

  const forget = (id: string, key: Recorded): void => {
    keys.delete(id);
    tagRefs -= key.tags.size;
    for (const tag of key.tags) {
      const ids = byTag.get(tag);
      ids?.delete(id);
      if (ids?.size === 0) byTag.delete(tag);
    }
  };

  /** Drops the keys whose hold has ended, oldest first: each is dropped once, by the call that finds it. */
  const expire = (at: number): void => {
    for (const [id, key] of keys) {
      if (key.until > at) return;
      forget(id, key);
    }
  };

  const takeIds = (ids: Iterable<string>, at: number): EdgeKey[] => {
    const out: EdgeKey[] = [];
    for (const id of [...ids]) {
      const key = keys.get(id);
      if (!key) continue;
      forget(id, key);
      if (key.until > at) out.push({ path: key.path, encoding: key.encoding });
    }
    return out;
  };

  return {
    record(path, edgeClass, tags) {
      if (edgeClass === undefined || !CLASSES.has(edgeClass) || !active()) return false;
      const at = now();
      expire(at);
      const id = `${edgeClass} ${path}`;
      const sameEntry = variantsOf(tags, edgeClass);
      if (!sameEntry.has(id)) {
        if (sameEntry.size >= maxVariants) return false;
        sameEntry.add(id);
      }
      const known = keys.get(id);
      if (known) {
        known.until = at + holdMs;
        keys.delete(id);
        keys.set(id, known);
        if (known.last === tags) return true;
        // Another entry answered this key since (a refill): its tags count too, until taken. An
        // answer whose tags do not all fit is not marked (the edge keeps what it has, if anything).
        if (!index(id, known, tags)) return false;
        known.last = tags;
        return true;
      }
      if (keys.size >= maxKeys || tagRefs + tags.length > maxTagRefs) return false;
      const key: Recorded = { path, encoding: edgeClass as EdgeEncoding, tags: new Set(), last: tags, until: at + holdMs };
      keys.set(id, key);
      index(id, key, tags);
      return true;
    },
    take(tags) {
      const at = now();
      const ids = new Set<string>();
      for (const tag of tags) for (const id of byTag.get(tag) ?? []) ids.add(id);
      return takeIds(ids, at);
    },
    takeAll() {
      return takeIds(keys.keys(), now());
    },
    get size() {
      return keys.size;
    },
  };
}

/**
 * EdgeKeys for answers nginx keys under a generation that every change to them bumps (search:
 * each answer carries the one tag an index change invalidates, a broad tag of the purger's
 * `generation`). No key needs recording to be purged, so an answer to an edge request (one that
 * carries EDGE_CLASS) is marked storable whenever `active()` says so; nothing is held.
 */
export function generationEdgeKeys(active: () => boolean = () => true): EdgeKeys {
  return {
    record: (_path, edgeClass) => edgeClass !== undefined && CLASSES.has(edgeClass) && active(),
    take: () => [],
    takeAll: () => [],
    size: 0,
  };
}
