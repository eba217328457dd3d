// createEdgePurger against real HTTP servers standing in for nginx's purge location (what nginx does
// with the requests is test/e2e/edge-cache.test.ts), and the cache telling its purgers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createCache, createEdgeKeys, createEdgePurger, type Purger } from '../src/index.ts';

interface Seen {
  method: string;
  url: string;
  at: number;
}

/** A server that records each request and answers what `answer` says (a status, or never). */
async function purgeServer(answer: (url: string) => number | 'hang' = () => 200): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', at: Date.now() });
    const status = answer(req.url ?? '');
    if (status === 'hang') return;
    res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const PATH = '/api/catalog/products/0123456789abcdef01234567';
const pathsFor = (message: { tags?: string[] }): string[] => (message.tags ?? []).filter((t) => t.startsWith('product:')).map(() => PATH);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('createEdgePurger', () => {
  it('when a product is invalidated, then every nginx gets a PURGE per encoding class at once, and the same again after repeatAfterMs', async () => {
    const [a, b] = [await purgeServer(), await purgeServer((url) => (url.includes('/identity/') ? 404 : 200))];
    cleanups.push(a.close, b.close);
    const results: string[] = [];
    const purger = createEdgePurger({ urls: [a.url, b.url], pathsFor, repeatAfterMs: 80, onResult: (r) => results.push(r) });
    cleanups.push(() => purger.close());
    const started = Date.now();
    await purger.purge({ tags: ['product:x', 'stock:x'] });
    const expected = ['br', 'gzip', 'identity'].map((encoding) => `PURGE /_edge/purge/${encoding}${PATH}`).sort();
    for (const server of [a, b]) expect(server.seen.map((s) => `${s.method} ${s.url}`).sort()).toEqual(expected);
    expect(results.sort()).toEqual(['absent', 'purged', 'purged', 'purged', 'purged', 'purged']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (const server of [a, b]) {
      expect(server.seen).toHaveLength(6);
      expect(Math.min(...server.seen.slice(3).map((s) => s.at)) - started).toBeGreaterThanOrEqual(75);
    }
  });

  it('when a tag of recorded answers is invalidated, then each recorded key is purged in its own class, raw query as recorded; the second round also purges a key recorded after the first', async () => {
    const server = await purgeServer();
    cleanups.push(server.close);
    const recorded = createEdgeKeys();
    const purger = createEdgePurger({ urls: [server.url], pathsFor: () => [], recorded, repeatAfterMs: 80 });
    cleanups.push(() => purger.close());
    // Raw as a client sent it: an escape a URL parser would leave, a `'` it would escape, `+`.
    const raw = "/api/catalog/products?sort=-price&brand=Acme+Co&q=%c3%A9&x='";
    recorded.record(raw, 'gzip', ['products:list', 'product:a']);
    recorded.record('/api/catalog/products?category=b', 'br', ['products:list', 'product:b']);
    await purger.purge({ tags: ['product:a'] });
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual([`PURGE /_edge/purge/gzip${raw}`]);
    // Answered from the old entry after the first round took the keys (it reached nginx late).
    recorded.record('/api/catalog/products?category=a', 'identity', ['product:a']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.seen.slice(1).map((s) => s.url).sort()).toEqual([`/_edge/purge/gzip${raw}`, '/_edge/purge/identity/api/catalog/products?category=a'].sort());
    // The other listing is still recorded, for its own tags.
    expect(recorded.take(['product:b'])).toEqual([{ path: '/api/catalog/products?category=b', encoding: 'br' }]);
  });

  it('when a worker that did not make a change purges what it answered, then only its recorded keys go, nothing by path; with none recorded, nothing at all', async () => {
    const server = await purgeServer();
    cleanups.push(server.close);
    const recorded = createEdgeKeys();
    const purger = createEdgePurger({ urls: [server.url], pathsFor, recorded, repeatAfterMs: 40 });
    cleanups.push(() => purger.close());
    await purger.purgeAnswered?.({ tags: ['product:x', 'stock:x'] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.seen).toEqual([]);
    recorded.record(PATH, 'br', ['product:x']);
    await purger.purgeAnswered?.({ tags: ['product:x', 'stock:x'] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual(Array(2).fill(`PURGE /_edge/purge/br${PATH}`));
  });

  it('when every recorded key is to be purged (a gap in the bus), then each goes in its own class, and again with any key recorded since', async () => {
    const server = await purgeServer();
    cleanups.push(server.close);
    const recorded = createEdgeKeys();
    const purger = createEdgePurger({ urls: [server.url], pathsFor, recorded, repeatAfterMs: 60 });
    cleanups.push(() => purger.close());
    recorded.record('/api/catalog/products?a=1', 'br', ['products:list']);
    recorded.record('/api/catalog/products?b=2', 'identity', ['product:b']);
    await purger.purgeRecorded?.();
    expect(server.seen.map((s) => s.url).sort()).toEqual(['/_edge/purge/br/api/catalog/products?a=1', '/_edge/purge/identity/api/catalog/products?b=2']);
    recorded.record('/api/catalog/products?c=3', 'gzip', ['products:list']);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(server.seen.slice(2).map((s) => s.url).sort()).toEqual(
      ['/_edge/purge/br/api/catalog/products?a=1', '/_edge/purge/gzip/api/catalog/products?c=3', '/_edge/purge/identity/api/catalog/products?b=2'],
    );
    expect(recorded.size).toBe(0);
  });

  it('when an invalidation names a tag every recorded answer carries, or more recorded keys than it purges one by one, then one generation PURGE replaces them (also from a writer that records nothing)', async () => {
    const server = await purgeServer();
    cleanups.push(server.close);
    const recorded = createEdgeKeys();
    const generation = { path: '/_edge/generation/lists', broadTags: ['products:list'], maxExactKeys: 2 };
    const purger = createEdgePurger({ urls: [server.url], pathsFor: () => [], recorded, generation, repeatAfterMs: 30 });
    const writer = createEdgePurger({ urls: [server.url], pathsFor: () => [], generation, repeatAfterMs: 30 });
    cleanups.push(() => purger.close(), () => writer.close());
    for (const page of [1, 2, 3]) recorded.record(`/api/catalog/products?page=${page}`, 'br', ['products:list', 'product:x']);
    recorded.record('/api/catalog/products?page=9', 'br', ['products:list', 'product:y']);
    /** What one call sent, both rounds. */
    const sentBy = async (call: () => Promise<void> | undefined): Promise<string[]> => {
      const before = server.seen.length;
      await call();
      await new Promise((resolve) => setTimeout(resolve, 80));
      return server.seen.slice(before).map((s) => `${s.method} ${s.url}`);
    };
    const twice = (line: string): string[] => [line, line];
    expect(await sentBy(() => purger.purge({ tags: ['product:y'] }))).toEqual(twice('PURGE /_edge/purge/br/api/catalog/products?page=9'));
    expect(await sentBy(() => purger.purge({ tags: ['product:x'] }))).toEqual(twice('PURGE /_edge/generation/lists'));
    expect(await sentBy(() => writer.purge({ tags: ['product:z', 'products:list'] }))).toEqual(twice('PURGE /_edge/generation/lists'));
    expect(await sentBy(() => writer.purgeRecorded?.())).toEqual([]);
    expect(await sentBy(() => purger.purgeRecorded?.())).toEqual(twice('PURGE /_edge/generation/lists'));
  });

  it('when an exact purge of a recorded key fails, then the recorded keys’ generation moves on instead, without the invalidation waiting for it', async () => {
    const server = await purgeServer((url) => (url.startsWith('/_edge/purge/') ? 502 : 200));
    cleanups.push(server.close);
    const recorded = createEdgeKeys();
    const purger = createEdgePurger({ urls: [server.url], pathsFor: () => [], recorded, generation: { path: '/_edge/generation/lists', broadTags: [] }, repeatAfterMs: 1_000 });
    cleanups.push(() => purger.close());
    recorded.record('/api/catalog/products?a=1', 'br', ['product:a']);
    await purger.purge({ tags: ['product:a'] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.seen.map((s) => s.url)).toEqual(['/_edge/purge/br/api/catalog/products?a=1', '/_edge/generation/lists']);
  });

  it('when an invalidation names no cached path, or there is no nginx, then nothing is sent', async () => {
    const server = await purgeServer();
    cleanups.push(server.close);
    const purger = createEdgePurger({ urls: [server.url], pathsFor });
    await purger.purge({ tags: ['categories'] });
    await purger.purge({ keys: ['http:catalog:/x'] });
    await createEdgePurger({ urls: [], pathsFor }).purge({ tags: ['product:x'] });
    await purger.close();
    expect(server.seen).toEqual([]);
  });

  it('when an nginx refuses, is down or hangs, then the purge still resolves (within the timeout), and each failure is reported, never thrown', async () => {
    const refusing = await purgeServer(() => 403);
    const hanging = await purgeServer(() => 'hang');
    const down = await purgeServer();
    await down.close();
    cleanups.push(refusing.close, hanging.close);
    const errors: string[] = [];
    const purger = createEdgePurger({ urls: [refusing.url, hanging.url, down.url], pathsFor, timeoutMs: 100, repeatAfterMs: 400, onError: (error, url) => errors.push(`${new URL(url).port} ${error.message}`) });
    const started = Date.now();
    await purger.purge({ tags: ['product:x'] });
    expect(Date.now() - started).toBeLessThan(1_000);
    const port = (url: string) => new URL(url).port;
    expect(errors.filter((e) => e.startsWith(port(refusing.url))).map((e) => e.split(' ').slice(1).join(' '))).toEqual(Array(3).fill('edge purge answered 403'));
    expect(errors.filter((e) => e.startsWith(port(hanging.url))).map((e) => e.split(' ').slice(1).join(' '))).toEqual(Array(3).fill('edge purge took longer than 100 ms'));
    expect(errors.filter((e) => e.startsWith(port(down.url)))).toHaveLength(3);
    // close() waits for the scheduled second round rather than dropping it; that round fails alike.
    const closing = purger.close();
    await expect(Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('waiting'), 200))])).resolves.toBe('waiting');
    await closing;
    expect(errors).toHaveLength(18);
  });

  it('when it is closed with a second round scheduled, then it sends that round before it resolves', async () => {
    const server = await purgeServer();
    cleanups.push(server.close);
    const purger = createEdgePurger({ urls: [server.url], pathsFor, repeatAfterMs: 100 });
    await purger.purge({ tags: ['product:x'] });
    await purger.close();
    expect(server.seen).toHaveLength(6);
    await purger.purge({ tags: ['product:x'] });
    expect(server.seen).toHaveLength(6);
  });

  it('when a URL is not http(s), then building the purger fails', () => {
    expect(() => createEdgePurger({ urls: ['ftp://x'], pathsFor })).toThrow('must be http(s)');
  });
});

describe('the cache and its purgers', () => {
  it('when tags or keys are invalidated, then each purger is told after the invalidation was applied here, and invalidate waits for it', async () => {
    const told: string[] = [];
    let entryGoneWhenTold = false;
    const cache = createCache({
      purgers: [
        {
          purge: async (message) => {
            entryGoneWhenTold = cache.peekFresh('k') === undefined;
            await new Promise((resolve) => setTimeout(resolve, 20));
            told.push(JSON.stringify(message));
          },
          purgeRecorded: async () => void told.push('everything recorded'),
          close: async () => void told.push('closed'),
        } satisfies Purger,
      ],
    });
    await cache.resolve('k', async () => 1, { tags: ['product:x'] });
    await cache.invalidateTags(['product:x']);
    expect(entryGoneWhenTold).toBe(true);
    await cache.invalidateKeys(['k']);
    await cache.close();
    // Closing: what this worker recorded goes before the purger does (nobody else would purge it).
    expect(told).toEqual([JSON.stringify({ tags: ['product:x'] }), JSON.stringify({ keys: ['k'] }), 'everything recorded', 'closed']);
  });
});
