/**
 * The fast lane (decision 0018): fresh cache hits answered in the request listener, before
 * Express. Every test goes through HTTP to real catalog servers on the test run's database and
 * Redis; the lane's answers are compared with what the full pipeline sends for the same entry.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testDatabase, type TestDatabase } from '@shop/db/testing';
import { createAuth, DEV_JWT_SECRET } from '@shop/service-kit';
import { startServer, type CatalogServer } from '../src/server.ts';

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request as the wire carries it: no decompression, no header normalisation beyond Node's. */
function raw(port: number, method: string, url: string, headers: Record<string, string> = {}, agent?: http.Agent, body?: string): Promise<Raw> {
  // Node's client sends no body with a GET unless its length is given.
  const sent = body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers: sent, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (res: Raw): { [key: string]: unknown } => JSON.parse(res.body.toString('utf8')) as { [key: string]: unknown };

/** Headers that differ between any two answers by design: the clock, the id, the layer, the remaining budget. */
const PER_ANSWER = new Set(['date', 'x-request-id', 'x-cache', 'ratelimit', 'connection', 'keep-alive']);
const comparable = (res: Raw) => ({
  status: res.status,
  headers: Object.fromEntries(Object.entries(res.headers).filter(([name]) => !PER_ANSWER.has(name))),
  body: res.body.toString('base64'),
});

let db: TestDatabase;
let servers: CatalogServer[] = [];
const children: ChildProcess[] = [];
let adminToken: string;
let productUrl: string;
let listUrl: string;

async function start(env: NodeJS.ProcessEnv = {}): Promise<CatalogServer> {
  const server = await startServer({ CATALOG_PORT: '0', ...db.serviceEnv, ...env });
  servers.push(server);
  return server;
}

/** A catalog worker in another process, on the same database and Redis prefix; its log lines land in `lines`. */
async function startChild(env: NodeJS.ProcessEnv = {}, lines: string[] = []): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(path.join(import.meta.dirname, 'fixtures', 'catalog-process.ts'), [], {
    env: { ...process.env, CATALOG_TEST_ENV: JSON.stringify({ CATALOG_PORT: '0', ...db.serviceEnv, ...env }) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`the catalog child exited (${code}) before it listened`)));
  });
  return { port, child };
}

async function admin(port: number, method: string, url: string, body: unknown): Promise<Raw> {
  return raw(port, method, url, { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' }, undefined, JSON.stringify(body));
}

beforeAll(async () => {
  db = await testDatabase('test_fastlane');
  adminToken = await createAuth(DEV_JWT_SECRET).sign({ id: 'admin-1', role: 'admin' });
  const seeder = await start();
  await admin(seeder.port, 'POST', '/api/catalog/categories', { slug: 'laptops', name: 'Laptops' });
  let id = '';
  for (let i = 0; i < 8; i++) {
    const created = await admin(seeder.port, 'POST', '/api/catalog/products', {
      sku: `FL-${i}`,
      name: `Fast Lane Product ${i} With A Name Long Enough To Compress`,
      brand: 'Nordvik',
      category: 'laptops',
      priceCents: 1000 + i,
    });
    expect(created.status).toBe(201);
    id = String(json(created).id);
  }
  productUrl = `/api/catalog/products/${id}`;
  listUrl = '/api/catalog/products?category=laptops&limit=8';
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(servers.map((server) => server.stop()));
  servers = [];
  await db.drop();
});

describe('cached reads answered before Express', () => {
  it('when a read is repeated, then MISS, then HIT-FAST, with the same status, headers and bytes as the pipeline sends (HIT-L1) for every method, encoding, validator and request id', async () => {
    const pipeline = await start({ CACHE_FAST_LANE: 'off' });
    const fast = await start();
    const first = await raw(fast.port, 'GET', listUrl);
    expect(['MISS', 'HIT-L2']).toContain(first.headers['x-cache']);
    const etag = String(first.headers.etag);
    const variants: { method: string; headers: Record<string, string> }[] = [
      { method: 'GET', headers: {} },
      { method: 'GET', headers: { 'Accept-Encoding': 'br, gzip' } },
      { method: 'GET', headers: { 'Accept-Encoding': 'gzip' } },
      { method: 'GET', headers: { 'Accept-Encoding': 'br;q=0.5, gzip' } },
      { method: 'GET', headers: { 'Accept-Encoding': 'identity' } },
      // Whitespace around `;` and `=` is legal; both paths must read the q-values alike.
      { method: 'GET', headers: { 'Accept-Encoding': 'gzip ;q=1' } },
      { method: 'GET', headers: { 'Accept-Encoding': 'br; q = 0, gzip' } },
      { method: 'HEAD', headers: { 'Accept-Encoding': 'br' } },
      { method: 'GET', headers: { 'If-None-Match': etag } },
      { method: 'GET', headers: { 'If-None-Match': `W/${etag}`, 'Accept-Encoding': 'gzip' } },
      { method: 'GET', headers: { 'If-None-Match': '*' } },
      { method: 'GET', headers: { 'If-None-Match': '"not-this-one"' } },
      { method: 'HEAD', headers: { 'If-None-Match': etag } },
      { method: 'GET', headers: { 'X-Request-Id': 'edge-abc.123' } },
      { method: 'GET', headers: { 'X-Forwarded-Host': 'evil.example', 'X-Request-Id': 'bad id with spaces' } },
    ];
    await raw(pipeline.port, 'GET', listUrl);
    for (const variant of variants) {
      const viaPipeline = await raw(pipeline.port, variant.method, listUrl, variant.headers);
      const viaLane = await raw(fast.port, variant.method, listUrl, variant.headers);
      const label = `${variant.method} ${JSON.stringify(variant.headers)}`;
      expect({ label, cache: viaPipeline.headers['x-cache'] }).toEqual({ label, cache: 'HIT-L1' });
      expect({ label, cache: viaLane.headers['x-cache'] }).toEqual({ label, cache: 'HIT-FAST' });
      expect({ label, ...comparable(viaLane) }).toEqual({ label, ...comparable(viaPipeline) });
      const sentId = variant.headers['X-Request-Id'];
      if (sentId === 'edge-abc.123') expect(viaLane.headers['x-request-id']).toBe(sentId);
      else expect(viaLane.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(viaLane.headers.ratelimit).toMatch(/r=\d+/);
    }
    // The security headers are helmet's, as every other answer has them.
    const lane = await raw(fast.port, 'GET', productUrl);
    const again = await raw(fast.port, 'GET', productUrl);
    expect([lane.headers['x-cache'], again.headers['x-cache']]).toEqual([expect.stringMatching(/^(MISS|HIT-L2)$/), 'HIT-FAST']);
    expect(again.headers).toMatchObject({
      'content-security-policy': expect.stringContaining("default-src 'self'"),
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringContaining('max-age='),
      'cache-control': 'public, max-age=60, stale-while-revalidate=60',
      'accept-ranges': 'none',
    });
  });

  it('when a read carries credentials, a body or too many query parts, or uses any method but GET and HEAD, then the pipeline answers it, never the lane', async () => {
    const server = await start();
    await raw(server.port, 'GET', productUrl);
    expect((await raw(server.port, 'GET', productUrl)).headers['x-cache']).toBe('HIT-FAST');
    const withToken = await raw(server.port, 'GET', productUrl, { Authorization: `Bearer ${adminToken}` });
    const withCookie = await raw(server.port, 'GET', productUrl, { Cookie: 'session=1' });
    expect([withToken.headers['x-cache'], withCookie.headers['x-cache']]).toEqual(['BYPASS', 'BYPASS']);
    const withBody = await raw(server.port, 'GET', productUrl, { 'Content-Type': 'application/json' }, undefined, '{"$where":"1"}');
    expect(withBody.status).toBe(400);
    expect(json(withBody)).toMatchObject({ error: { code: 'FORBIDDEN_KEY' } });
    // An empty body still goes through the body parser, which checks its charset and coding.
    const emptyBody = await raw(server.port, 'GET', productUrl, { 'Content-Type': 'application/json; charset=latin1', 'Content-Length': '0' });
    expect(emptyBody.status).toBe(415);
    expect(json(emptyBody)).toMatchObject({ error: { code: 'UNSUPPORTED_CHARSET' } });
    const manyParts = `${listUrl}${'&'.repeat(120)}`;
    const refused = await raw(server.port, 'GET', manyParts);
    expect(refused.status).toBe(400);
    expect(json(refused)).toMatchObject({ error: { code: 'TOO_MANY_PARAMETERS' } });
    const post = await raw(server.port, 'POST', productUrl, { 'Content-Type': 'application/json' }, undefined, '{}');
    expect(post.headers['x-cache']).toBeUndefined();
    // Every other method a client may send reaches Express (its router answers them, never a cached body).
    for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND']) {
      const other = await raw(server.port, method, productUrl);
      expect({ method, cache: other.headers['x-cache'], status: other.status === 200 && other.body.length > 0 && other.headers.etag !== undefined }).toEqual({
        method,
        cache: undefined,
        status: false,
      });
    }
  });

  it('when a product changes through a worker in another process, then every fast lane serves the change within 100 ms', async () => {
    const local = await start();
    const other = await startChild();
    for (const port of [local.port, other.port]) {
      await raw(port, 'GET', productUrl);
      expect((await raw(port, 'GET', productUrl)).headers['x-cache']).toBe('HIT-FAST');
    }
    for (const [writer, reader] of [
      [other.port, local.port],
      [local.port, other.port],
    ] as const) {
      const name = `Renamed via ${writer} at ${Date.now()}`;
      const changed = await admin(writer, 'PATCH', productUrl, { name });
      expect(changed.status).toBe(200);
      const started = performance.now();
      let seen = '';
      while (performance.now() - started < 100) {
        seen = String(json(await raw(reader, 'GET', productUrl)).name);
        if (seen === name) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const waited = performance.now() - started;
      console.log(`fast lane: a change made on :${writer} was served by :${reader} after ${waited.toFixed(1)} ms`);
      expect(seen).toBe(name);
      expect((await raw(reader, 'GET', productUrl)).headers['x-cache']).toBe('HIT-FAST');
    }
  });

  it('when the lane answers at the shipped log level, then one access line stands for ACCESS_LOG_HIT_SAMPLE hits, and every other request keeps its own line', async () => {
    const lines: string[] = [];
    const worker = await startChild({ LOG_LEVEL: 'info', ACCESS_LOG_HIT_SAMPLE: '10' }, lines);
    const url = `${listUrl}&sort=price`;
    expect((await raw(worker.port, 'GET', url)).headers['x-cache']).toMatch(/^(MISS|HIT-L2)$/);
    for (let i = 0; i < 25; i++) expect((await raw(worker.port, 'GET', url)).headers['x-cache']).toBe('HIT-FAST');
    expect((await raw(worker.port, 'GET', `${url}&limit=7`)).status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const access = lines
      .map((line) => JSON.parse(line) as { msg: string; req?: { url: string }; res?: { statusCode: number }; sampled?: number })
      .filter((line) => line.msg === 'request completed' && line.req?.url.startsWith(url));
    expect(access.map((line) => [line.res?.statusCode, line.sampled ?? 1])).toEqual([
      [200, 1],
      [200, 10],
      [200, 10],
      [400, 1],
    ]);
  });

  it('when the lane answers, then each answer is counted: RED per route and status, and hits by layer', async () => {
    // A cluster of its own (the scrape sums every worker under one prefix): the other servers of
    // this file push their own reads of the same route up to a second late.
    const server = await start({ CACHE_PREFIX: `${db.dbName}-metrics:` });
    await raw(server.port, 'GET', productUrl);
    const before = server.cache.counters.snapshot().hits.fast;
    const sample = () => raw(server.port, 'GET', '/metrics').then((res) => res.body.toString('utf8'));
    const countOf = (text: string, status: string): number => {
      const line = text
        .split('\n')
        .find((l) => l.startsWith('http_requests_total{') && l.includes('route="/api/catalog/products/:id"') && l.includes(`status_code="${status}"`) && l.includes('method="GET"'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const etag = String((await raw(server.port, 'GET', productUrl)).headers.etag);
    const baseline = await sample();
    for (let i = 0; i < 20; i++) expect((await raw(server.port, 'GET', productUrl)).headers['x-cache']).toBe('HIT-FAST');
    for (let i = 0; i < 5; i++) expect((await raw(server.port, 'GET', productUrl, { 'If-None-Match': etag })).status).toBe(304);
    expect(server.cache.counters.snapshot().hits.fast - before).toBe(26);
    // /metrics is the cluster-wide sum, pushed every second: wait for this worker's push.
    const deadline = Date.now() + 5_000;
    let counted = { ok: 0, notModified: 0 };
    while (Date.now() < deadline) {
      const now = await sample();
      counted = { ok: countOf(now, '200') - countOf(baseline, '200'), notModified: countOf(now, '304') - countOf(baseline, '304') };
      if (counted.ok >= 20 && counted.notModified >= 5) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(counted).toEqual({ ok: 20, notModified: 5 });
    expect(await sample()).toMatch(/cache_hits_total\{layer="fast",service="catalog"\} [1-9]/);
  });

  it('when the server drains for a reload, then a fast-lane answer on a pooled connection carries Connection: close', async () => {
    const server = await start({ SHUTDOWN_DRAIN_MS: '3000' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await raw(server.port, 'GET', productUrl, {}, agent);
    const before = await raw(server.port, 'GET', productUrl, {}, agent);
    expect(before.headers).toMatchObject({ 'x-cache': 'HIT-FAST', connection: 'keep-alive' });
    const stopped = server.stop();
    const during = await raw(server.port, 'GET', productUrl, {}, agent);
    expect(during.headers).toMatchObject({ 'x-cache': 'HIT-FAST', connection: 'close' });
    expect(during.status).toBe(200);
    await stopped;
    agent.destroy();
  });

  it('when a client spends its budget on cached reads, then the lane spends it too: exactly RATE_LIMIT_MAX pass, then 429', async () => {
    const max = 200;
    const server = await start({ RATE_LIMIT_MAX: String(max), CACHE_PREFIX: `${db.dbName}-rl:` });
    const statuses: number[] = [];
    const layers = new Set<string>();
    for (let i = 0; i < max + 2; i++) {
      const res = await raw(server.port, 'GET', productUrl);
      statuses.push(res.status);
      if (res.status === 200) layers.add(String(res.headers['x-cache']));
      if (res.status === 429) expect(json(res)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(max);
    expect(statuses.slice(max)).toEqual([429, 429]);
    expect(layers.has('HIT-FAST')).toBe(true);
  });
});
