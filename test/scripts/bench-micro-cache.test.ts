import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addMicroCache, dockerProfile, findNginx, localProfile, renderNginxConfig, startNginx, stopNginx, testConfig, writeLocalConfig, type LocalNginx } from '../../scripts/lib/nginx.ts';
import { freePort } from '../../scripts/lib/redis-server.ts';

const CACHE = { path: '/tmp/bench-micro-cache' };

/** The text of the `location <prefix> { … }` block of a rendered config. */
function location(config: string, prefix: string): string {
  const start = config.indexOf(`location ${prefix} {`);
  expect(start).toBeGreaterThan(0);
  return config.slice(start, config.indexOf('}', start));
}

describe('addMicroCache (scripts/lib/nginx.ts)', () => {
  const shipped = renderNginxConfig(localProfile({ dir: '/tmp/x' }));
  const cached = renderNginxConfig(localProfile({ dir: '/tmp/x', microCache: true }));

  it('when the option is not given, then neither the local nor the docker rendering has a cache (what npm start and compose run is unchanged)', () => {
    expect(localProfile({ dir: '/tmp/x' })).not.toHaveProperty('microCache');
    expect(dockerProfile()).not.toHaveProperty('microCache');
    expect(shipped).not.toMatch(/proxy_cache|X-Cache-Nginx/);
    expect(renderNginxConfig(dockerProfile())).not.toMatch(/proxy_cache|X-Cache-Nginx/);
  });

  it('when the option is given, then it is the shipped rendering plus the cache: zone and maps in http, directives in the catalog and search locations only', () => {
    expect(cached).toContain('proxy_cache_path /tmp/x/micro-cache levels=1:2 keys_zone=micro:10m');
    expect(cached).toContain('map $http_accept_encoding $micro_cache_encoding {');
    for (const prefix of ['/api/catalog', '/api/search']) {
      const block = location(cached, prefix);
      for (const directive of [
        'proxy_cache micro;',
        'proxy_cache_key "$uri$is_args$args|$micro_cache_encoding";',
        'proxy_cache_valid 200 1s;',
        'proxy_cache_lock on;',
        'proxy_cache_use_stale updating error timeout;',
        'proxy_cache_background_update on;',
        'proxy_cache_bypass $http_authorization $http_cookie;',
        'proxy_no_cache $http_authorization $http_cookie $micro_cache_refused;',
        'add_header X-Cache-Nginx $upstream_cache_status always;',
      ]) {
        expect(block).toContain(directive);
      }
    }
    for (const prefix of ['/api/orders', '/api/performance']) expect(location(cached, prefix)).not.toContain('proxy_cache');
    // Nothing of the shipped rendering is lost or moved: its lines are all there, in their order.
    const lines = cached.split('\n');
    let at = 0;
    for (const line of shipped.split('\n')) {
      at = lines.indexOf(line, at);
      expect(at).toBeGreaterThanOrEqual(0);
      at++;
    }
  });

  it('when the config has no catalog and search locations, then it throws instead of caching nothing', () => {
    expect(() => addMicroCache('events {}\nhttp {\n  server {\n    location /api/catalog {\n    }\n  }\n}\n', CACHE)).toThrow(/found 1 of those locations/);
  });
});

describe('the micro-cache in a running nginx (in front of a local node:http server)', () => {
  let upstream: http.Server;
  const hits: string[] = [];
  let dir = '';
  let local: LocalNginx;

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url} ${req.headers['accept-encoding'] ?? ''}`);
      const noStore = req.url?.includes('no-store') === true;
      // As the services answer: their own Cache-Control (60 s), which the micro-cache's 1 s overrides.
      res.writeHead(200, { 'Content-Type': 'application/json', Vary: 'Accept-Encoding', 'Cache-Control': noStore ? 'no-store' : 'public, max-age=60' });
      res.end(JSON.stringify({ url: req.url, n: hits.length }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    dir = mkdtempSync(path.join(os.tmpdir(), 'shop-micro-cache-test-'));
    chmodSync(dir, 0o755);
    local = writeLocalConfig({ dir, listen: `127.0.0.1:${await freePort()}`, ports: { catalog: port, order: port, search: port }, rateLimit: '100000r/s', rateBurst: 100_000, microCache: true });
    const nginx = findNginx();
    expect(nginx).not.toBeNull();
    const checked = testConfig(nginx!, local.conf, local.prefix);
    expect(checked).toEqual({ ok: true, output: '' });
    startNginx(nginx!, local);
  });

  afterAll(async () => {
    await stopNginx(local.pidFile);
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** X-Cache-Nginx and the upstream's counter of one GET. */
  async function get(pathname: string, headers: Record<string, string> = {}): Promise<{ cache: string | null; n: number }> {
    const res = await fetch(`${local.url}${pathname}`, { headers: { 'Accept-Encoding': 'br, gzip', ...headers } });
    expect(res.status).toBe(200);
    return { cache: res.headers.get('x-cache-nginx'), n: ((await res.json()) as { n: number }).n };
  }

  it('when a catalog or search GET is repeated, then the repeat is a HIT answered without the upstream', async () => {
    for (const pathname of ['/api/catalog/products/p1', '/api/search?q=lamp']) {
      const first = await get(pathname);
      const second = await get(pathname);
      expect(first.cache).toBe('MISS');
      expect(second).toEqual({ cache: 'HIT', n: first.n });
    }
  });

  it('when another encoding class asks for the same URL, then it is its own entry', async () => {
    await get('/api/catalog/products/p2');
    expect((await get('/api/catalog/products/p2', { 'Accept-Encoding': 'identity' })).cache).toBe('MISS');
    expect((await get('/api/catalog/products/p2', { 'Accept-Encoding': 'identity' })).cache).toBe('HIT');
  });

  it('when a request carries Authorization or a Cookie, then it bypasses the cache and its answer is not stored', async () => {
    expect((await get('/api/catalog/products/p3', { Authorization: 'Bearer t' })).cache).toBe('BYPASS');
    expect((await get('/api/catalog/products/p3', { Cookie: 'a=b' })).cache).toBe('BYPASS');
    expect((await get('/api/catalog/products/p3')).cache).toBe('MISS');
  });

  it('when the upstream says no-store, then the answer is not stored', async () => {
    expect((await get('/api/catalog/no-store')).cache).toBe('MISS');
    expect((await get('/api/catalog/no-store')).cache).toBe('MISS');
  });

  it('when an answer is past its 1 s, then it is refreshed (served stale once while it is), whatever the upstream Cache-Control said', async () => {
    const first = await get('/api/search?q=desk');
    // nginx counts validity in whole seconds: "1s" ends at the end of the next second (1 to 2 s).
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const stale = await get('/api/search?q=desk');
    expect(['STALE', 'UPDATING', 'EXPIRED']).toContain(stale.cache);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const fresh = await get('/api/search?q=desk');
    expect(fresh.cache).toBe('HIT');
    expect(fresh.n).toBeGreaterThan(first.n);
  });

  it('when an order is posted, then the cache has no part in it', async () => {
    const before = hits.length;
    const res = await fetch(`${local.url}/api/orders`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(res.headers.get('x-cache-nginx')).toBeNull();
    await res.arrayBuffer();
    expect(hits.length).toBe(before + 1);
  });
});
