// The edge cache's part of the nginx template (decision 0018), as rendered: where it is and is not,
// and that its fixed tables agree with the services' code they stand in for; and that nginx's
// per-client limit holds for the answers it gives itself. What it does in a running stack is
// test/e2e/edge-cache.test.ts.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildHttpEntry, chooseBody } from '@shop/cache-middleware';
import { LATENCY_BUCKETS } from '@shop/metrics';
import { dockerProfile, EDGE_CACHE_MODULES, edgeCacheDir, edgeCacheInMemory, findNginx, hasEdgeCacheModules, localProfile, renderNginxConfig, startNginx, stopNginx, testConfig, writeLocalConfig, type LocalNginx } from '../../scripts/lib/nginx.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { freePort } from '../../scripts/lib/redis-server.ts';

const withEdge = renderNginxConfig({ ...localProfile({ dir: '/tmp/x', edgeCache: false }), edgeCache: { path: '/tmp/x/edge-cache' } });
const withoutEdge = renderNginxConfig(localProfile({ dir: '/tmp/x', edgeCache: false }));

/** The entries of a `map <source> <variable> { … }` block of the rendered config. */
function mapEntries(config: string, variable: string): [string, string][] {
  const start = config.indexOf(` ${variable} {\n`);
  expect(start).toBeGreaterThan(0);
  const body = config.slice(config.indexOf('{', start) + 1, config.indexOf('\n  }', start));
  return body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^("(?:[^"]*)"|\S+)\s+(\S+);$/.exec(line);
      if (!match) throw new Error(`unexpected map line: ${line}`);
      return [match[1]!.replace(/^"|"$/g, ''), match[2]!];
    });
}

describe('the edge cache in the rendered nginx config', () => {
  it('when nginx has the modules, then the local profile runs it, its cache in memory (one directory per stack directory); the docker profile always does, purged from the services’ network only', () => {
    // In memory where /dev/shm has room for it (a container's 64 MB default has not), else on disk.
    const memory = edgeCacheDir('/tmp/x');
    expect(memory).toMatch(edgeCacheInMemory() ? /^\/dev\/shm\/shop-edge-[0-9a-f]{16}$/ : /^\/tmp\/x\/edge-cache$/);
    expect(edgeCacheDir('/tmp/y')).not.toBe(memory);
    expect(localProfile({ dir: '/tmp/x' }).edgeCache).toEqual(hasEdgeCacheModules() ? { path: memory } : null);
    expect(dockerProfile()).toMatchObject({ edgeCache: { path: '/var/cache/nginx/edge' }, allowPurge: ['172.28.1.0/24'] });
    for (const module of EDGE_CACHE_MODULES) expect(withEdge).toContain(`load_module ${module};`);
    expect(withEdge).toContain('proxy_cache_path /tmp/x/edge-cache levels=1:2 keys_zone=edge:16m');
    const docker = renderNginxConfig(dockerProfile());
    const purge = docker.slice(docker.indexOf('location ~ "^/_edge/purge/'), docker.indexOf('proxy_cache_purge edge'));
    expect(purge).toContain('allow 172.28.1.0/24;');
    expect(purge).not.toContain('172.28.0.');
  });

  it('when nginx listens on one address of this machine, then the services may purge from it too; a name or any-address listen keeps loopback only', () => {
    const sources = (listen: string) => localProfile({ dir: '/tmp/x', listen }).allowPurge;
    expect([sources('8080'), sources('0.0.0.0:8080'), sources('localhost:8080'), sources('[::]:8080')]).toEqual([[], [], [], []]);
    expect([sources('192.0.2.5:8080'), sources('[2001:db8::1]:8080')]).toEqual([['192.0.2.5'], ['2001:db8::1']]);
    const rendered = renderNginxConfig({ ...localProfile({ dir: '/tmp/x', listen: '192.0.2.5:8080', edgeCache: false }), edgeCache: { path: '/tmp/x/edge-cache' } });
    const purge = rendered.slice(rendered.indexOf('location ~ "^/_edge/purge/'), rendered.indexOf('proxy_cache_purge edge'));
    expect(purge).toContain('allow 192.0.2.5;');
  });

  it('when it is off, then nothing of it is rendered and the rest of the config is the same, line for line and in order', () => {
    for (const trace of ['proxy_cache', 'lua', '_edge/', 'edge_metrics', '$edge_', 'load_module /usr/lib/nginx/modules/ngx_http_cache_purge_module.so']) {
      expect({ trace, found: withoutEdge.includes(trace) }).toEqual({ trace, found: false });
    }
    const lines = withEdge.split('\n');
    let at = 0;
    for (const line of withoutEdge.split('\n').filter((l) => !l.includes('edge cache off') && !l.includes('no edge cache'))) {
      at = lines.indexOf(line, at);
      expect({ line, found: at >= 0 }).toEqual({ line, found: true });
      at++;
    }
  });

  it('when a listed Accept-Encoding value picks an encoding class, then it is the encoding the services send for it (so an entry never holds another class’s bytes)', () => {
    const entry = buildHttpEntry(200, 'application/json', Buffer.from(JSON.stringify({ text: 'x'.repeat(4_000) })));
    expect(entry.br && entry.gzip).toBeTruthy();
    const entries = mapEntries(withEdge, '$edge_encoding');
    expect(entries.length).toBeGreaterThan(5);
    for (const [value, encodingClass] of entries) {
      if (value === 'default') {
        expect(encodingClass).toBe('""');
        continue;
      }
      const [chosen] = chooseBody(value === '' ? undefined : value, entry);
      expect({ value, encodingClass }).toEqual({ value, encodingClass: chosen ?? 'identity' });
    }
  });

  it('when the edge counts a hit, then its latency buckets are the services’ (one histogram across both in Prometheus)', () => {
    const lua = readFileSync(path.join(repoRoot, 'nginx', 'edge_metrics.lua'), 'utf8');
    const buckets = /local BUCKETS = \{([^}]*)\}/.exec(lua)?.[1]?.split(',').map(Number);
    expect(buckets).toEqual(LATENCY_BUCKETS);
  });

  it('when a request may be answered by the edge, then it is a plain GET or HEAD of the canonical path as sent (a listing: its query in plain characters), without credentials, body, range or precondition other than If-None-Match', () => {
    const skip = withEdge.slice(withEdge.indexOf('map "$request_method'), withEdge.indexOf('$edge_skip {'));
    for (const header of ['authorization', 'cookie', 'content_length', 'transfer_encoding', 'range', 'if_range', 'if_match', 'if_unmodified_since', 'if_modified_since']) {
      expect(skip).toContain(`$http_${header}`);
    }
    expect(skip).not.toContain('$http_if_none_match');
    expect(skip).toContain(':$edge_encoding:$request_uri"');
    const entries = mapEntries(withEdge, '$edge_skip');
    expect(entries).toEqual([
      ['default', '1'],
      ['~^(GET|HEAD)::(br|gzip|identity):/api/catalog/products/[0-9a-f]{24}$', '0'],
      ['~^(GET|HEAD)::(br|gzip|identity):/api/catalog/products([?][A-Za-z0-9&=%._~+-]{0,512})?$', '0'],
      ['~^(GET|HEAD)::(br|gzip|identity):/api/search(/suggest)?([?][A-Za-z0-9&=%._~+-]{0,512})?$', '0'],
    ]);
    // The listing's rule, as nginx reads the map's key (PCRE and JavaScript agree on this one).
    const listing = new RegExp(entries[2]![0].slice(1));
    for (const uri of ['/api/catalog/products', '/api/catalog/products?', '/api/catalog/products?category=laptops&sort=-price&page=2&limit=24', '/api/catalog/products?brand=Acme+Co&q=%C3%A9']) {
      expect({ uri, answered: listing.test(`GET::br:${uri}`) }).toEqual({ uri, answered: true });
    }
    for (const uri of [`/api/catalog/products?${'a'.repeat(513)}`, "/api/catalog/products?brand=a'b", '/api/catalog/products?a=<x>', '/api/catalog/products?a=1#x', '/api/catalog/products/?a=1', '/api/catalog//products?a=1', '/api/catalog/product%73?a=1']) {
      expect({ uri, answered: listing.test(`GET::br:${uri}`) }).toEqual({ uri, answered: false });
    }
    // Searches and suggestions: the same query rule.
    const search = new RegExp(entries[3]![0].slice(1));
    for (const uri of ['/api/search', '/api/search?q=red+shoes&category=laptops&sort=-price&page=2', '/api/search?q=%C3%A9t%C3%A9', '/api/search/suggest?q=lap']) {
      expect({ uri, answered: search.test(`HEAD::gzip:${uri}`) }).toEqual({ uri, answered: true });
    }
    for (const uri of [`/api/search?q=${'a'.repeat(511)}`, '/api/search?q=a"b', '/api/search/?q=a', '/api/search//suggest?q=a', '/api/search/suggest/x', '/api/searches?q=a', '/api/Search?q=a']) {
      expect({ uri, answered: search.test(`GET::br:${uri}`) }).toEqual({ uri, answered: false });
    }
    expect(search.test('POST::br:/api/search?q=a')).toBe(false);
  });

  const edgeProxy = readFileSync(path.join(repoRoot, 'nginx', 'edge-proxy.conf'), 'utf8');
  const locationAt = (start: string, end: string): string => withEdge.slice(withEdge.indexOf(start), withEdge.indexOf(end, withEdge.indexOf(start)));

  it('when the edge asks the service, then it sends the class’s own Accept-Encoding, and keeps only what the service answered from its own cache, once its key is recorded', () => {
    expect(mapEntries(withEdge, '$edge_accept_encoding')).toEqual([
      ['default', 'identity'],
      ['br', 'br'],
      ['gzip', 'gzip'],
    ]);
    expect(mapEntries(withEdge, '$edge_unconfirmed')).toEqual([
      ['default', '1'],
      ['HIT-FAST', '0'],
      ['HIT-L1', '0'],
      ['HIT-L2', '0'],
    ]);
    expect(mapEntries(withEdge, '$edge_unrecorded')).toEqual([
      ['default', '1'],
      ['yes', '0'],
    ]);
    const product = locationAt('location ~ "^/api/catalog/products/', '\n    }');
    const listing = locationAt('location = /api/catalog/products {', '\n    }');
    expect(product).toContain('proxy_cache_key "$uri|$edge_encoding";');
    expect(product).toContain('proxy_no_cache $edge_unconfirmed $edge_refused $edge_unrecorded;');
    expect(listing).toContain('proxy_cache_key "/api/catalog/products?$args|$edge_encoding|$edge_list_generation";');
    expect(listing).toContain('set_by_lua_block $edge_list_generation { return require("edge_generations").get("lists") }');
    expect(listing).toContain('proxy_no_cache $edge_unconfirmed $edge_refused $edge_unrecorded;');
    // An expired listing is never served: its record may be gone by then. A product's purge is found from its tag.
    expect(listing).toContain('proxy_cache_use_stale off;');
    expect(product).toContain('proxy_cache_use_stale updating;');
    expect(edgeProxy).not.toMatch(/^\s*proxy_cache_use_stale\b/m);
    for (const location of [product, listing]) {
      expect(location).toContain(`include ${path.join(repoRoot, 'nginx', 'edge-proxy.conf')};`);
      expect(location).toContain('rewrite ^ /_edge/pass last;');
      expect(location).toContain('proxy_pass http://catalog;');
      expect(location).toContain('limit_req zone=api');
      expect(location).toContain('log_by_lua_block { require("edge_metrics").log() }');
    }
    // Searches and suggestions: one generation, bumped by the search workers; stored only when marked.
    const search = locationAt('location = /api/search {', '\n    }\n');
    const suggest = locationAt('location = /api/search/suggest {', '\n    }');
    expect(search).toContain('proxy_cache_key "/api/search?$args|$edge_encoding|$edge_search_generation";');
    expect(suggest).toContain('proxy_cache_key "/api/search/suggest?$args|$edge_encoding|$edge_search_generation";');
    expect(search).toContain('set $edge_route /api/search/;');
    expect(suggest).toContain('set $edge_route /api/search/suggest;');
    for (const location of [search, suggest]) {
      expect(location).toContain('set_by_lua_block $edge_search_generation { return require("edge_generations").get("search") }');
      expect(location).toContain('proxy_no_cache $edge_unconfirmed $edge_refused $edge_unrecorded;');
      expect(location).toContain('proxy_cache_use_stale off;');
      expect(location).toContain(`include ${path.join(repoRoot, 'nginx', 'edge-proxy.conf')};`);
      expect(location).toContain('rewrite ^ /_edge/pass/search last;');
      expect(location).toContain('proxy_pass http://search;');
      expect(location).toContain('limit_req zone=api');
      expect(location).toContain('require("edge_metrics").log()');
    }
    // Searches the edge answers are counted for the workers' popular ranking; suggestions are not ranked.
    expect(search).toContain('require("edge_popular").log()');
    expect(suggest).not.toContain('edge_popular');
    expect(edgeProxy).not.toMatch(/^\s*(proxy_pass|log_by_lua)/m);
    for (const line of ['proxy_set_header Accept-Encoding $edge_accept_encoding;', 'proxy_set_header X-Edge-Class $edge_encoding;', 'proxy_hide_header X-Edge-Purgeable;', 'proxy_cache_valid 200 10s;']) {
      expect(edgeProxy).toContain(line);
    }
    expect(edgeProxy).not.toMatch(/^\s*proxy_cache_(background_update|lock)\b/m);
  });

  it('when the edge locations set their own proxy headers, then they set every one the server sets (nginx drops inherited ones); the server clears the edge class and hides the mark of a recorded key', () => {
    const server = withEdge.slice(withEdge.indexOf('  server {'));
    const serverLevel = server.slice(0, server.indexOf('\n    location ')).split('\n').map((line) => line.trim());
    const headers = serverLevel.filter((line) => line.startsWith('proxy_set_header '));
    expect(headers.length).toBeGreaterThan(4);
    const named = (line: string): string => line.split(/\s+/)[1]!;
    const edgeHeaders = edgeProxy.split('\n').filter((line) => line.startsWith('proxy_set_header '));
    expect(new Set(edgeHeaders.map(named))).toEqual(new Set([...headers.map(named), 'Accept-Encoding']));
    for (const line of headers.filter((l) => named(l) !== 'X-Edge-Class')) expect({ line, inEdge: edgeProxy.includes(line) }).toEqual({ line, inEdge: true });
    expect(serverLevel).toContain('proxy_set_header X-Edge-Class "";');
    expect(serverLevel).toContain('proxy_hide_header X-Edge-Purgeable;');
  });

  it('when a listing is purged, then the purge location builds the same key as the listing’s entry, from the purge request’s own raw query', () => {
    const purge = locationAt('location ~ "^/_edge/purge/(?<purge_encoding>br|gzip|identity)/api/catalog/products$"', '\n    }');
    expect(purge).toContain('proxy_cache_purge edge "/api/catalog/products?$args|$purge_encoding|$edge_list_generation";');
    expect(purge).toContain('deny all;');
    const generation = locationAt('location ~ "^/_edge/generation/(?<edge_generation>lists|search)$" {', '\n    }');
    expect(generation).toContain('deny all;');
    expect(generation).toContain('require("edge_generations").bump(ngx.var.edge_generation)');
    const popular = locationAt('location = /_edge/popular/search {', '\n    }');
    expect(popular).toContain('deny all;');
    expect(popular).toContain('require("edge_popular").drain()');
  });

  it('when the Docker image is built, then it carries every file its config includes or requires from its directory', () => {
    const dockerfile = readFileSync(path.join(repoRoot, 'nginx', 'Dockerfile'), 'utf8');
    const docker = readFileSync(path.join(repoRoot, 'nginx', 'docker.conf'), 'utf8');
    const included = [...docker.matchAll(/include \/etc\/nginx\/shop\/([\w.-]+);/g)].map((m) => m[1]!).filter((name) => name !== 'real-ip.conf');
    const required = [...docker.matchAll(/require\("(\w+)"\)/g)].map((m) => `${m[1]!}.lua`);
    expect(included).toEqual(expect.arrayContaining(['edge-proxy.conf', 'security-headers.conf']));
    expect(required).toEqual(expect.arrayContaining(['edge_metrics.lua', 'edge_generations.lua', 'edge_popular.lua']));
    for (const name of new Set([...included, ...required])) expect({ name, copied: dockerfile.includes(`nginx/${name}`) }).toEqual({ name, copied: true });
  });
});

/**
 * nginx from the shipped template, with its edge cache, in front of a node:http server answering
 * for every service with `handler`; `close` stops both and removes nginx's directory.
 */
async function nginxInFront(handler: http.RequestListener, limits: { rateLimit: string; rateBurst: number }): Promise<{ local: LocalNginx; close(): Promise<void> }> {
  const upstream = http.createServer(handler);
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-edge-'));
  // nginx's workers run as nobody under a root master, and write temp files (and an edge cache not in memory) under it.
  chmodSync(dir, 0o755);
  const local = writeLocalConfig({ dir, listen: `127.0.0.1:${await freePort()}`, ports: { catalog: port, order: port, search: port }, ...limits, edgeCache: true });
  const nginx = findNginx();
  expect(nginx).not.toBeNull();
  expect(testConfig(nginx!, local.conf, local.prefix)).toEqual({ ok: true, output: '' });
  startNginx(nginx!, local);
  return {
    local,
    close: async () => {
      await stopNginx(local.pidFile);
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the per-client limit on what the edge answers itself (a running nginx in front of a node:http upstream)', () => {
  const RATE = '2r/s';
  const BURST = 3;
  const upstreamHits = new Map<string, number>();
  let local: LocalNginx;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // Answers as a service does from its cache, marked storable, so the edge stores it.
    ({ local, close } = await nginxInFront(
      (req, res) => {
        upstreamHits.set(req.url ?? '', (upstreamHits.get(req.url ?? '') ?? 0) + 1);
        res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"p1"', 'X-Cache': 'HIT-FAST', 'X-Edge-Purgeable': 'yes', 'Cache-Control': 'public, max-age=60' });
        res.end('{"id":"p1"}');
      },
      { rateLimit: RATE, rateBurst: BURST },
    ));
  });

  afterAll(() => close());

  it.each(['/api/catalog/products/0123456789abcdef01234567', '/api/catalog/products?sort=price', '/api/search?q=lamp', '/api/search/suggest?q=la'])(
    "when one client reads %s, held by the edge, faster than its rate, then the reads past the burst get nginx's JSON 429, not edge hits",
    async (target) => {
      // Each case starts with a full bucket: the previous one's refills at 2 per second.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const answers: string[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${local.url}${target}`, { headers: { 'Accept-Encoding': 'identity' } });
        const body = await res.text();
        answers.push(res.status === 429 ? `429 ${(JSON.parse(body) as { error: { code: string } }).error.code}` : `${res.status} ${res.headers.get('x-cache')}`);
      }
      // The first is the service's (then stored), the burst's next ones the edge's, the rest refused.
      expect(answers[0]).toBe('200 HIT-FAST');
      expect(answers.slice(1, BURST + 1)).toEqual(Array(BURST).fill('200 HIT-EDGE'));
      expect(answers.filter((a) => a === '429 RATE_LIMITED').length).toBeGreaterThanOrEqual(12 - BURST - 2);
      expect(upstreamHits.get(target)).toBe(1);
    },
  );
});

describe('the edge cache’s files (a running nginx in front of a node:http catalog)', () => {
  it('when nginx stores an answer, then its file is in memory (/dev/shm, where it has room), and stopping nginx removes the directory', async () => {
    const { local, close } = await nginxInFront(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"p1"', 'X-Cache': 'HIT-FAST', 'X-Edge-Purgeable': 'yes', 'Cache-Control': 'public, max-age=60' });
        res.end('{"id":"p1"}');
      },
      { rateLimit: '1000r/s', rateBurst: 1000 },
    );
    const dir = edgeCacheDir(local.prefix);
    try {
      for (let i = 0; i < 2; i++) await (await fetch(`${local.url}/api/catalog/products/0123456789abcdef01234567`)).arrayBuffer();
      expect(dir.startsWith(edgeCacheInMemory() ? '/dev/shm/' : local.prefix)).toBe(true);
      expect(readdirSync(dir, { recursive: true }).length).toBeGreaterThan(0);
    } finally {
      await close();
    }
    expect(existsSync(dir)).toBe(false);
  });
});

describe('listings at the edge (a running nginx in front of a node:http catalog)', () => {
  /** What the catalog was asked: the raw URL and the class nginx sent. */
  const asked: { url: string; edgeClass: string | undefined }[] = [];
  let marked = true;
  let local: LocalNginx;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // Answers as a catalog worker does from its cache; marks the answer as recorded when `marked`.
    ({ local, close } = await nginxInFront(
      (req, res) => {
        const edgeClass = req.headers['x-edge-class'];
        asked.push({ url: req.url ?? '', edgeClass: typeof edgeClass === 'string' ? edgeClass : undefined });
        res.writeHead(200, {
          'Content-Type': 'application/json',
          ETag: '"l1"',
          'X-Cache': 'HIT-FAST',
          'Cache-Control': 'public, max-age=30',
          ...(marked ? { 'X-Edge-Purgeable': 'yes' } : {}),
        });
        res.end('{"items":[]}');
      },
      { rateLimit: '1000r/s', rateBurst: 1000 },
    ));
  });

  afterAll(() => close());

  const read = async (query: string, headers: Record<string, string> = { 'Accept-Encoding': 'br, gzip' }): Promise<{ cache: string | null; mark: string | null }> => {
    const res = await fetch(`${local.url}/api/catalog/products${query}`, { headers });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    return { cache: res.headers.get('x-cache'), mark: res.headers.get('x-edge-purgeable') };
  };
  const purge = async (target: string): Promise<number> => (await fetch(`${local.url}${target}`, { method: 'PURGE' })).status;

  it('when the catalog does not mark a listing as recorded, then the edge never stores it; marked, the edge stores it under its raw query and class, and the mark never reaches the client', async () => {
    marked = false;
    for (let i = 0; i < 3; i++) expect(await read('?sort=price&limit=3')).toEqual({ cache: 'HIT-FAST', mark: null });
    marked = true;
    expect(await read('?limit=3&sort=price')).toEqual({ cache: 'HIT-FAST', mark: null });
    expect(await read('?limit=3&sort=price')).toEqual({ cache: 'HIT-EDGE', mark: null });
    // Another raw order, another class: other keys, each asked of the catalog once, with its class.
    asked.length = 0;
    expect(await read('?sort=price&limit=3', { 'Accept-Encoding': 'gzip' })).toEqual({ cache: 'HIT-FAST', mark: null });
    expect(await read('?sort=price&limit=3', { 'Accept-Encoding': 'gzip' })).toEqual({ cache: 'HIT-EDGE', mark: null });
    expect(asked).toEqual([{ url: '/api/catalog/products?sort=price&limit=3', edgeClass: 'gzip' }]);
  });

  it('when a client sends its own X-Edge-Class on a listing the edge passes by, then the catalog never sees it, and the mark is hidden there too', async () => {
    marked = true;
    asked.length = 0;
    const passedBy: Record<string, string>[] = [
      { 'Accept-Encoding': 'gzip', 'X-Edge-Class': 'gzip', 'If-Match': '"x"' },
      { 'Accept-Encoding': 'br;q=0.9', 'X-Edge-Class': 'br' },
    ];
    for (const headers of passedBy) {
      expect(await read('?sort=newest', headers)).toEqual({ cache: 'HIT-FAST', mark: null });
    }
    // And on a path nginx sends elsewhere than the edge locations (the service answers it as its own).
    expect(await read('/?sort=newest', { 'Accept-Encoding': 'gzip', 'X-Edge-Class': 'gzip' })).toEqual({ cache: 'HIT-FAST', mark: null });
    expect(asked.map((a) => a.edgeClass)).toEqual([undefined, undefined, undefined]);
  });

  it('when a client sends its own X-Edge-Class to a listing the edge answers, then the catalog gets the class nginx keyed it by', async () => {
    marked = true;
    asked.length = 0;
    expect(await read('?sort=popularity&page=3', { 'Accept-Encoding': 'gzip', 'X-Edge-Class': 'br' })).toEqual({ cache: 'HIT-FAST', mark: null });
    expect(asked).toEqual([{ url: '/api/catalog/products?sort=popularity&page=3', edgeClass: 'gzip' }]);
  });

  it('when a listing is purged by its raw query and class, or the listings’ generation moves on, then the next read is the catalog’s', async () => {
    marked = true;
    const query = '?category=laptops&sort=-price&page=2&limit=24&q=%C3%A9+x';
    await read(query);
    expect(await read(query)).toEqual({ cache: 'HIT-EDGE', mark: null });
    expect(await purge(`/_edge/purge/gzip/api/catalog/products${query}`)).toBe(404);
    expect(await read(query)).toEqual({ cache: 'HIT-EDGE', mark: null });
    expect(await purge(`/_edge/purge/br/api/catalog/products${query}`)).toBe(200);
    expect(await read(query)).toEqual({ cache: 'HIT-FAST', mark: null });
    expect(await read(query)).toEqual({ cache: 'HIT-EDGE', mark: null });
    expect(await purge('/_edge/generation/lists')).toBe(200);
    expect(await read(query)).toEqual({ cache: 'HIT-FAST', mark: null });
    expect(await read(query)).toEqual({ cache: 'HIT-EDGE', mark: null });
    expect((await fetch(`${local.url}/_edge/generation/lists`)).status).toBe(405);
  });
});

describe('searches at the edge (a running nginx in front of a node:http search)', () => {
  const asked: string[] = [];
  let marked = true;
  let local: LocalNginx;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // Answers as a search worker does from its cache; marks the answer storable when `marked`.
    ({ local, close } = await nginxInFront(
      (req, res) => {
        asked.push(`${req.method} ${req.url}`);
        res.writeHead(200, {
          'Content-Type': 'application/json',
          ETag: '"s1"',
          'X-Cache': 'HIT-FAST',
          'Cache-Control': 'public, max-age=60',
          ...(marked ? { 'X-Edge-Purgeable': 'yes' } : {}),
        });
        res.end(req.method === 'HEAD' ? undefined : '{"hits":[]}');
      },
      { rateLimit: '1000r/s', rateBurst: 1000 },
    ));
  });

  afterAll(() => close());

  const read = async (target: string, init: RequestInit = {}): Promise<string> => {
    const res = await fetch(`${local.url}${target}`, { ...init, headers: { 'Accept-Encoding': 'gzip', ...(init.headers as Record<string, string>) } });
    await res.arrayBuffer();
    expect(res.headers.get('x-edge-purgeable')).toBeNull();
    return `${res.status} ${res.headers.get('x-cache')}`;
  };
  const post = async (target: string, method = 'POST'): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${local.url}${target}`, { method });
    return { status: res.status, text: await res.text() };
  };
  const drain = async (): Promise<string[]> => {
    const { status, text } = await post('/_edge/popular/search');
    expect(status).toBe(200);
    return text.split('\n').filter(Boolean).sort();
  };

  it('when the search service does not mark an answer storable, then the edge never stores it; marked, it is stored per raw query until the search generation moves on (the listings’ does not touch it)', async () => {
    marked = false;
    for (let i = 0; i < 3; i++) expect(await read('/api/search?q=lamp')).toBe('200 HIT-FAST');
    marked = true;
    for (const target of ['/api/search?q=lamp', '/api/search/suggest?q=la']) {
      expect(await read(target)).toBe('200 HIT-FAST');
      expect(await read(target)).toBe('200 HIT-EDGE');
    }
    expect(await read('/api/search?q=lamp&page=1')).toBe('200 HIT-FAST');
    expect((await post('/_edge/generation/lists', 'PURGE')).status).toBe(200);
    expect(await read('/api/search?q=lamp')).toBe('200 HIT-EDGE');
    expect((await post('/_edge/generation/search', 'PURGE')).status).toBe(200);
    expect(await read('/api/search?q=lamp')).toBe('200 HIT-FAST');
    expect(await read('/api/search/suggest?q=la')).toBe('200 HIT-FAST');
    expect(await read('/api/search?q=lamp')).toBe('200 HIT-EDGE');
    expect((await post('/_edge/generation/search')).status).toBe(405);
  });

  it('when the edge answers a search itself, then it counts it under its raw query (HEAD and 304 too) until a worker takes the counts, once; what the service answered, and suggestions, are not counted there', async () => {
    await drain();
    marked = true;
    const query = 'q=desk+lamp&sort=-price';
    asked.length = 0;
    expect(await read(`/api/search?${query}`)).toBe('200 HIT-FAST');
    for (let i = 0; i < 5; i++) expect(await read(`/api/search?${query}`)).toBe('200 HIT-EDGE');
    expect(await read(`/api/search?${query}`, { method: 'HEAD' })).toBe('200 HIT-EDGE');
    expect(await read(`/api/search?${query}`, { headers: { 'If-None-Match': '"s1"' } })).toBe('304 HIT-EDGE');
    marked = false;
    for (let i = 0; i < 3; i++) expect(await read('/api/search?q=chair')).toBe('200 HIT-FAST');
    marked = true;
    expect(await read('/api/search/suggest?q=de')).toBe('200 HIT-FAST');
    expect(await read('/api/search/suggest?q=de')).toBe('200 HIT-EDGE');
    // A bare search (no query) is one too.
    for (let i = 0; i < 3; i++) expect(await read('/api/search')).toBe(i === 0 ? '200 HIT-FAST' : '200 HIT-EDGE');
    expect(asked).toEqual([`GET /api/search?${query}`, 'GET /api/search?q=chair', 'GET /api/search?q=chair', 'GET /api/search?q=chair', 'GET /api/search/suggest?q=de', 'GET /api/search']);
    expect(await drain()).toEqual(['2 ', `7 ${query}`]);
    expect(await drain()).toEqual([]);
    expect((await post('/_edge/popular/search', 'GET')).status).toBe(405);
  });

  it('when workers take the counts while the edge keeps answering (drains overlapping, in parallel nginx processes), then every hit is handed out exactly once', async () => {
    marked = true;
    await drain();
    const queries = ['q=a1', 'q=b2', 'q=c3', 'q=d4', 'q=e5'];
    for (const q of queries) {
      expect(await read(`/api/search?${q}`)).toBe('200 HIT-FAST');
      expect(await read(`/api/search?${q}`)).toBe('200 HIT-EDGE');
    }
    const taken = new Map<string, number>();
    const take = (lines: string[]): void => {
      for (const line of lines) {
        const [count, q] = line.split(' ');
        taken.set(q!, (taken.get(q!) ?? 0) + Number(count));
      }
    };
    let hits = 0;
    const hitter = async (): Promise<void> => {
      for (let i = 0; i < 60; i++) {
        const answer = await read(`/api/search?${queries[i % queries.length]!}`);
        if (answer === '200 HIT-EDGE') hits++;
      }
    };
    const drainer = async (): Promise<void> => {
      for (let i = 0; i < 15; i++) take(await drain());
    };
    await Promise.all([hitter(), hitter(), hitter(), hitter(), drainer(), drainer(), drainer()]);
    take(await drain());
    expect(hits).toBe(4 * 60);
    // The one edge hit of each query before the race, and the race's own.
    expect([...taken.values()].reduce((a, b) => a + b, 0)).toBe(queries.length + hits);
    expect(new Set(taken.keys())).toEqual(new Set(queries));
  });
});
