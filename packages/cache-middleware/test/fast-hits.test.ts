/**
 * The fast lane's index (fast-hits.ts) over a real L1: which entries it answers, and with what.
 * The HTTP side (the lane in the request listener, parity with Express) is tested through real
 * services in services/catalog/test/fast-lane.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { buildHttpEntry, createCache, createEdgeKeys, createFastHits, EDGE_PURGEABLE, type HttpEntry } from '../src/index.ts';
import { FAST_HIT_X_CACHE } from '../src/fast-hits.ts';
import { keyFor, normalizedUrl } from '../src/middleware.ts';

const URL = '/api/things/1?b=2&a=1';
const KEY = keyFor(normalizedUrl(URL), 'things', [], () => undefined);
const ROUTE = '/api/things/:id';
const CACHE_CONTROL = 'public, max-age=60';

function setup() {
  let clock = 1_000_000;
  const cache = createCache({ now: () => clock, defaults: { ttl: 60_000, jitter: 0 } });
  const hits = createFastHits(cache);
  hits.register('things', []);
  const entry: HttpEntry = buildHttpEntry(200, 'application/json; charset=utf-8', Buffer.from(JSON.stringify({ id: 1, text: 'x'.repeat(2_000) })));
  return { cache, hits, entry, advance: (ms: number) => (clock += ms) };
}

const headerOf = (list: readonly string[], name: string): string | undefined => {
  const at = list.findIndex((item, i) => i % 2 === 0 && item === name);
  return at === -1 ? undefined : list[at + 1];
};

describe('createFastHits', () => {
  it('when an entry is in L1 but the pipeline never served it (set or warmed), then it is not found', async () => {
    const { cache, hits, entry } = setup();
    await cache.set(KEY, entry);
    expect(hits.find('GET', URL, {})).toBeUndefined();
  });

  it('when the pipeline served it, then it is found for the same key in any parameter order, with the stored bytes for the preferred encoding', async () => {
    const { cache, hits, entry } = setup();
    await cache.set(KEY, entry);
    hits.remember(entry, { route: ROUTE, cacheControl: CACHE_CONTROL, vary: 'Accept-Encoding' });
    const br = hits.find('GET', '/api/things/1?a=1&b=2', { 'accept-encoding': 'gzip, br' })!;
    expect(br.status).toBe(200);
    expect(br.route).toBe(ROUTE);
    expect(br.body).toBe(entry.br);
    expect(headerOf(br.headers, 'Content-Encoding')).toBe('br');
    expect(headerOf(br.headers, 'Content-Length')).toBe(String(entry.br!.length));
    expect(headerOf(br.headers, 'X-Cache')).toBe(FAST_HIT_X_CACHE);
    expect(headerOf(br.headers, 'ETag')).toBe(entry.etag);
    const gzip = hits.find('GET', URL, { 'accept-encoding': 'br;q=0.1, gzip' })!;
    expect(gzip.body).toBe(entry.gzip);
    const plain = hits.find('GET', URL, {})!;
    expect(plain.body).toBe(entry.body);
    expect(headerOf(plain.headers, 'Content-Encoding')).toBeUndefined();
    const head = hits.find('HEAD', URL, { 'accept-encoding': 'br' })!;
    expect(head.body).toBeUndefined();
    expect(headerOf(head.headers, 'Content-Length')).toBe(String(entry.br!.length));
    const notModified = hits.find('GET', URL, { 'if-none-match': `W/${entry.etag}` })!;
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeUndefined();
    expect(headerOf(notModified.headers, 'Content-Type')).toBeUndefined();
  });

  it('when found and served, then the hit is counted for the fast layer and the policy hears the URL', async () => {
    const { cache, hits, entry } = setup();
    await cache.set(KEY, entry);
    const urls: string[] = [];
    hits.remember(entry, { route: ROUTE, cacheControl: CACHE_CONTROL, vary: 'Accept-Encoding', onServed: (url) => urls.push(url) });
    const before = cache.counters.snapshot().hits.fast;
    const found = hits.find('GET', URL, {})!;
    expect(cache.counters.snapshot().hits.fast).toBe(before);
    found.served();
    expect(cache.counters.snapshot().hits.fast).toBe(before + 1);
    expect(urls).toEqual(['/api/things/1?a=1&b=2']);
  });

  it('when the entry is invalidated or no longer fresh, then it is not found', async () => {
    const { cache, hits, entry, advance } = setup();
    await cache.set(KEY, entry);
    hits.remember(entry, { route: ROUTE, cacheControl: CACHE_CONTROL, vary: 'Accept-Encoding' });
    expect(hits.find('GET', URL, {})).toBeDefined();
    advance(60_001);
    expect(hits.find('GET', URL, {})).toBeUndefined();

    const again = setup();
    await again.cache.set(KEY, again.entry);
    again.hits.remember(again.entry, { route: ROUTE, cacheControl: CACHE_CONTROL, vary: 'Accept-Encoding' });
    await again.cache.invalidateKeys([KEY]);
    expect(again.hits.find('GET', URL, {})).toBeUndefined();
  });

  it('when a policy keys by a vary header, then the lane reads that header into the key', async () => {
    const { cache, hits, entry } = setup();
    hits.register('things', ['accept-language']);
    const key = keyFor(normalizedUrl(URL), 'things', ['accept-language'], (name) => (name === 'accept-language' ? 'nl' : undefined));
    await cache.set(key, entry);
    hits.remember(entry, { route: ROUTE, cacheControl: CACHE_CONTROL, vary: 'Accept-Encoding, accept-language' });
    expect(hits.find('GET', URL, { 'accept-language': 'nl' })).toBeDefined();
    expect(hits.find('GET', URL, { 'accept-language': 'de' })).toBeUndefined();
  });

  it('when its policy records edge keys, then a 200 to a request an edge location keyed by a class records its raw URL with the entry’s tags and is marked for the edge; nothing else is', async () => {
    const { cache, hits, entry } = setup();
    await cache.set(KEY, entry, { tags: ['things', 'thing:1'] });
    const edgeKeys = createEdgeKeys({ maxKeys: 2 });
    hits.remember(entry, { route: ROUTE, cacheControl: CACHE_CONTROL, vary: 'Accept-Encoding', edgeKeys });
    const br = hits.find('GET', URL, { 'accept-encoding': 'br', 'x-edge-class': 'br' })!;
    expect(headerOf(br.headers, EDGE_PURGEABLE)).toBe('yes');
    expect(headerOf(br.headers, 'Content-Encoding')).toBe('br');
    // Not from an edge location, and a 304: not recorded, not marked.
    expect(headerOf(hits.find('GET', URL, { 'accept-encoding': 'br' })!.headers, EDGE_PURGEABLE)).toBeUndefined();
    expect(headerOf(hits.find('GET', URL, { 'accept-encoding': 'gzip', 'x-edge-class': 'gzip', 'if-none-match': entry.etag })!.headers, EDGE_PURGEABLE)).toBeUndefined();
    // The same key in another parameter order is another edge key (nginx keys the raw query).
    expect(headerOf(hits.find('HEAD', '/api/things/1?a=1&b=2', { 'x-edge-class': 'identity' })!.headers, EDGE_PURGEABLE)).toBe('yes');
    // Full: answered all the same, but not marked.
    expect(headerOf(hits.find('GET', URL, { 'accept-encoding': 'gzip', 'x-edge-class': 'gzip' })!.headers, EDGE_PURGEABLE)).toBeUndefined();
    expect(edgeKeys.take(['thing:1'])).toEqual([
      { path: URL, encoding: 'br' },
      { path: '/api/things/1?a=1&b=2', encoding: 'identity' },
    ]);
  });

  it('when its policy records no edge keys, then no answer is marked for the edge', async () => {
    const { cache, hits, entry } = setup();
    await cache.set(KEY, entry, { tags: ['things'] });
    hits.remember(entry, { route: ROUTE, cacheControl: CACHE_CONTROL, vary: 'Accept-Encoding' });
    expect(headerOf(hits.find('GET', URL, { 'accept-encoding': 'br', 'x-edge-class': 'br' })!.headers, EDGE_PURGEABLE)).toBeUndefined();
  });
});
