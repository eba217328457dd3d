import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { closedLoop, openLoop, type LoadResult, type RequestSpec } from '../../scripts/lib/open-loop.ts';
import { summarize } from '../../scripts/bench/load-process.ts';

/** What the test server saw of one request. */
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// The chunked answer: three chunks, one of them with a multi-digit hex size (300 = 0x12c).
const CHUNKS = ['abc', 'y'.repeat(300), 'de'];
const CHUNKED_BYTES = CHUNKS.reduce((sum, c) => sum + c.length, 0);
const FAIL_BODY = 'boom';
const BIG = 256 * 1024;

let server: http.Server;
let port = 0;
let seen: Seen[] = [];
/** Bytes of each echo answer, in the order sent. */
let echoed: number[] = [];
/** Count of answers that carried `Connection: close` (the /bye route). */
let byeCount = 0;

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const url = req.url ?? '/';
  seen.push({ method: req.method ?? '', url, headers: req.headers, body });
  const pathname = url.split('?')[0] ?? '/';
  if (pathname.startsWith('/len/')) {
    const n = Number(pathname.slice('/len/'.length));
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(n) });
    res.end('x'.repeat(n));
    return;
  }
  switch (pathname) {
    case '/chunked': {
      // No Content-Length and several writes, some of them later: Node sends Transfer-Encoding: chunked.
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write(CHUNKS[0]);
      setTimeout(() => {
        res.write(CHUNKS[1]);
        setTimeout(() => res.end(CHUNKS[2]), 2);
      }, 2);
      return;
    }
    case '/fail':
      res.writeHead(500, { 'Content-Length': String(FAIL_BODY.length) });
      res.end(FAIL_BODY);
      return;
    case '/big':
      res.writeHead(200, { 'Content-Length': String(BIG) });
      res.end(Buffer.alloc(BIG, 0x61));
      return;
    case '/echo': {
      const text = JSON.stringify({ method: req.method, headers: req.headers, body });
      echoed.push(Buffer.byteLength(text));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
      return;
    }
    case '/bye': {
      // Every third answer closes its keep-alive connection, as nginx does after keepalive_requests.
      byeCount++;
      if (byeCount % 3 === 0) res.setHeader('Connection', 'close');
      res.writeHead(200, { 'Content-Length': '2' });
      res.end('ok');
      return;
    }
    case '/slow':
      setTimeout(() => {
        res.writeHead(200, { 'Content-Length': '4' });
        res.end('slow');
      }, 1_500);
      return;
    case '/close-when-idle':
      // Answers, then closes the (by then idle) keep-alive connection, as a server's keep-alive timeout does.
      res.writeHead(200, { 'Content-Length': '2' });
      res.end('ok');
      res.on('finish', () => setTimeout(() => req.socket.destroy(), 150));
      return;
    default:
      res.writeHead(200, { 'Content-Length': '2' });
      res.end('ok');
  }
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(parts).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  echoed = [];
  byeCount = 0;
});

/** A `next` that hands out a finite list once, then null (a sweep). */
function listOf(specs: RequestSpec[]): () => RequestSpec | null {
  let i = 0;
  return () => specs[i++] ?? null;
}

/** A port nothing listens on (a server bound to it is closed again first). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

const statusSum = (result: LoadResult): number => Object.values(result.statuses).reduce((a, b) => a + b, 0);

describe('the test server itself', () => {
  it('when /chunked is fetched, then it is really sent with Transfer-Encoding: chunked and no Content-Length', async () => {
    const head = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/chunked' }, (res) => {
          res.resume();
          res.on('end', () => resolve(res));
        })
        .on('error', reject);
    });
    expect(head.headers['transfer-encoding']).toBe('chunked');
    expect(head.headers['content-length']).toBeUndefined();
  });
});

describe('closedLoop (scripts/lib/open-loop.ts)', () => {
  it('when next hands out a finite list then null, then every request is sent exactly once and the run ends', async () => {
    const paths = Array.from({ length: 40 }, (_, i) => `/len/${i * 10}?i=${i}`);
    const result = await closedLoop({ port, connections: 4, durationS: 60, next: listOf(paths) });
    expect(seen.map((s) => s.url).sort()).toEqual([...paths].sort());
    expect(result.answered).toBe(40);
    expect(result.errors).toBe(0);
    expect(result.statuses).toEqual({ '200': 40 });
    expect(result.bodyBytes).toBe(paths.reduce((sum, _, i) => sum + i * 10, 0));
    expect(result.latencies).toHaveLength(40);
    for (const latency of result.latencies) expect(latency).toBeGreaterThan(0);
    // It ended when the list was done, not after durationS.
    expect(result.elapsedS).toBeLessThan(30);
    expect(result.timerLagP99).toBe(0);
  });

  it('when answers are chunked, 500 or Content-Length, then answered, errors, statuses and body bytes count each kind right', async () => {
    const paths = ['/chunked', '/fail', '/len/100', '/chunked', '/len/100', '/fail', '/len/100', '/chunked', '/len/100', '/len/100'];
    const result = await closedLoop({ port, connections: 3, durationS: 60, next: listOf(paths) });
    expect(seen).toHaveLength(10);
    expect(result.answered).toBe(10);
    expect(result.errors).toBe(2);
    expect(result.statuses).toEqual({ '200': 8, '500': 2 });
    // Chunked bodies count by their data bytes (not the chunk-size lines and CRLFs).
    expect(result.bodyBytes).toBe(3 * CHUNKED_BYTES + 2 * FAIL_BODY.length + 5 * 100);
    // Latencies are those of the 2xx answers only.
    expect(result.latencies).toHaveLength(8);
  });

  it('when a body is far larger than a TCP segment, then the answer waits for all of it and counts its length', async () => {
    const result = await closedLoop({ port, connections: 2, durationS: 60, next: listOf(['/big', '/big', '/big', '/len/5']) });
    expect(result.answered).toBe(4);
    expect(result.errors).toBe(0);
    expect(result.bodyBytes).toBe(3 * BIG + 5);
  });

  it('when specs are POSTs with headers and a UTF-8 body, then method, headers, Content-Length and body arrive intact', async () => {
    const bodies = ['{"items":[{"productId":"p1","quantity":1}]}', JSON.stringify({ note: 'café ✓ 日本' }), ''];
    const specs: RequestSpec[] = [
      ...bodies.map((body, i) => ({ method: 'POST', path: '/echo', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `key-${i}` }, body })),
      { method: 'GET', path: '/echo', headers: { 'X-Own': 'yes' } },
      { method: 'DELETE', path: '/echo' },
    ];
    const result = await closedLoop({ port, connections: 1, durationS: 60, headers: { 'Accept-Encoding': 'br, gzip', Accept: 'application/json' }, next: listOf(specs) });
    expect(result.answered).toBe(5);
    expect(result.errors).toBe(0);
    expect(result.bodyBytes).toBe(echoed.reduce((a, b) => a + b, 0));
    expect(seen).toHaveLength(5);
    for (const s of seen) {
      // The target's headers go with every request, and Host names the target.
      expect(s.headers['accept-encoding']).toBe('br, gzip');
      expect(s.headers.accept).toBe('application/json');
      expect(s.headers.host).toBe(`127.0.0.1:${port}`);
    }
    bodies.forEach((body, i) => {
      const s = seen[i]!;
      expect(s.method).toBe('POST');
      expect(s.url).toBe('/echo');
      expect(s.body).toBe(body);
      expect(s.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(s.headers['content-type']).toBe('application/json');
      expect(s.headers['idempotency-key']).toBe(`key-${i}`);
    });
    // The multi-byte body: Content-Length counts bytes, not characters.
    expect(seen[1]!.headers['content-length']).not.toBe(String(bodies[1]!.length));
    // A GET object without a body has no Content-Length; another method without one says 0.
    expect(seen[3]!.method).toBe('GET');
    expect(seen[3]!.headers['x-own']).toBe('yes');
    expect(seen[3]!.headers['content-length']).toBeUndefined();
    expect(seen[4]!.method).toBe('DELETE');
    expect(seen[4]!.headers['content-length']).toBe('0');
  });

  it('when the run is timed with a warm-up, then warm-up answers are not counted and it stops after about durationS', async () => {
    const started = performance.now();
    const result = await closedLoop({ port, connections: 2, warmupS: 0.3, durationS: 0.5, next: () => '/len/10' });
    const wallS = (performance.now() - started) / 1_000;
    expect(result.answered).toBeGreaterThan(0);
    // The server also answered the warm-up's requests, which are not in the counts.
    expect(seen.length).toBeGreaterThan(result.answered);
    expect(statusSum(result)).toBe(result.answered);
    expect(result.statuses['200']).toBe(result.answered);
    expect(result.bodyBytes).toBe(10 * result.answered);
    expect(result.latencies).toHaveLength(result.answered);
    expect(result.elapsedS).toBeGreaterThanOrEqual(0.5);
    expect(result.elapsedS).toBeLessThan(3);
    expect(wallS).toBeGreaterThanOrEqual(0.8);
    expect(wallS).toBeLessThan(5);
  });

  it('when nothing listens on the port, then the timed run ends with errors and no answers', async () => {
    const result = await closedLoop({ port: await closedPort(), connections: 2, durationS: 0.3, next: () => '/x' });
    expect(result.answered).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.latencies).toEqual([]);
    expect(result.elapsedS).toBeLessThan(5);
  });

  // BUG: a keep-alive connection the server closes after an answer with `Connection: close`
  // (nginx does so after keepalive_requests) gets the next request written to it anyway; that
  // request is lost (the server never sees it) and counted as an error.
  it('when the server answers some requests with Connection: close, then every request of the list still reaches it once, without errors', async () => {
    const paths = Array.from({ length: 12 }, (_, i) => `/bye?i=${i}`);
    const result = await closedLoop({ port, connections: 1, durationS: 60, next: listOf(paths) });
    expect(seen.map((s) => s.url)).toEqual(paths);
    expect(result.errors).toBe(0);
    expect(result.answered).toBe(12);
  });

  // BUG: when the server closes an idle keep-alive connection (keep-alive timeout) whose `next`
  // already returned null, the close calls `next` on it again, which counts that connection done a
  // second time: the run ends while another request is still in flight, and its answer is lost.
  it('when the server closes an idle connection while another request is still in flight, then the run waits for that answer', async () => {
    const result = await closedLoop({ port, connections: 2, durationS: 60, next: listOf(['/slow', '/close-when-idle']) });
    expect(seen.map((s) => s.url).sort()).toEqual(['/close-when-idle', '/slow']);
    expect(result.answered).toBe(2);
    expect(result.statuses).toEqual({ '200': 2 });
    expect(result.bodyBytes).toBe(4 + 2);
  });
});

describe('openLoop (scripts/lib/open-loop.ts)', () => {
  it('when offered 200 req/s for 1 s, then it answers rate × duration requests with positive latencies', async () => {
    const started = performance.now();
    const result = await openLoop({ port, connections: 8, rate: 200, durationS: 1, next: () => '/len/20' });
    const wallS = (performance.now() - started) / 1_000;
    // The open loop sends exactly round(rate × duration) requests; allow ±10 % on what arrived anyway.
    expect(Math.abs(result.answered - 200)).toBeLessThanOrEqual(20);
    expect(result.answered).toBe(seen.length);
    expect(result.errors).toBe(0);
    expect(result.statuses).toEqual({ '200': result.answered });
    expect(result.bodyBytes).toBe(20 * result.answered);
    expect(result.latencies).toHaveLength(result.answered);
    for (const latency of result.latencies) expect(latency).toBeGreaterThan(0);
    expect(result.elapsedS).toBe(1);
    // An idle loop's timers fire on time: a lag this large would mean the pacing itself is off.
    expect(result.timerLagP99).toBeLessThan(200);
    // Paced over the second, not sent at once.
    expect(wallS).toBeGreaterThanOrEqual(0.9);
    expect(wallS).toBeLessThan(5);
  });

  it('when there is a warm-up, then the requests due during it are sent but not counted', async () => {
    // 100/s: requests 0..49 are due in the first 0.5 s (warm-up), 50..99 in the measured 0.5 s.
    const result = await openLoop({ port, connections: 4, rate: 100, warmupS: 0.5, durationS: 0.5, next: () => '/len/7' });
    expect(seen).toHaveLength(100);
    expect(result.answered).toBe(50);
    expect(result.statuses).toEqual({ '200': 50 });
    expect(result.bodyBytes).toBe(350);
    expect(result.latencies).toHaveLength(50);
    expect(result.errors).toBe(0);
  });

  it('when answers are a mix of 500 and chunked 200, then errors, statuses and body bytes are right', async () => {
    let i = 0;
    const result = await openLoop({ port, connections: 4, rate: 100, durationS: 0.3, next: () => (i++ % 2 === 0 ? '/fail' : '/chunked') });
    expect(result.answered).toBe(30);
    expect(result.errors).toBe(15);
    expect(result.statuses).toEqual({ '200': 15, '500': 15 });
    expect(result.bodyBytes).toBe(15 * FAIL_BODY.length + 15 * CHUNKED_BYTES);
    expect(result.latencies).toHaveLength(15);
  });

  it('when POST specs are offered, then each arrives with its method, headers and body', async () => {
    let i = 0;
    const result = await openLoop({
      port,
      connections: 2,
      rate: 50,
      durationS: 0.2,
      next: () => ({ method: 'POST', path: '/echo', headers: { 'Idempotency-Key': `o-${i}` }, body: `{"n":${i++}}` }),
    });
    expect(result.answered).toBe(10);
    expect(result.errors).toBe(0);
    expect(seen.map((s) => s.body).sort()).toEqual(Array.from({ length: 10 }, (_, n) => `{"n":${n}}`).sort());
    for (const s of seen) {
      expect(s.method).toBe('POST');
      expect(s.headers['content-length']).toBe(String(Buffer.byteLength(s.body)));
      expect(s.headers['idempotency-key']).toBe(`o-${JSON.parse(s.body).n}`);
    }
  });

  it('when nothing listens on the port, then every request is an error and the run still ends', async () => {
    const result = await openLoop({ port: await closedPort(), connections: 2, rate: 50, durationS: 0.2, next: () => '/x' });
    expect(result.answered).toBe(0);
    expect(result.errors).toBe(10);
    expect(result.latencies).toEqual([]);
  });
});

describe('summarize (scripts/bench/load-process.ts)', () => {
  const base: Omit<LoadResult, 'latencies'> = { errors: 1, statuses: { '200': 100, '500': 1 }, answered: 101, bodyBytes: 5_000, elapsedS: 2, timerLagP99: 0.4 };

  it('when latencies are 1..100 in any order, then the percentiles are read from the numerically sorted list', () => {
    const latencies = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    const summary = summarize({ ...base, latencies });
    expect(summary.p50).toBe(51);
    expect(summary.p95).toBe(96);
    expect(summary.p99).toBe(100);
    expect(summary.max).toBe(100);
    expect(summary.rps).toBe(50.5);
    expect(summary).toMatchObject(base);
    expect('latencies' in summary).toBe(false);
  });

  it('when latencies differ in digit count, then they sort as numbers, not as strings', () => {
    const summary = summarize({ ...base, latencies: [100, 9, 10] });
    expect(summary.p50).toBe(10);
    expect(summary.max).toBe(100);
  });

  it('when there are no latencies, then the percentiles are NaN and rps still counts the answers', () => {
    const summary = summarize({ ...base, latencies: [], answered: 0, elapsedS: 0 });
    expect(summary.p50).toBeNaN();
    expect(summary.p99).toBeNaN();
    expect(summary.max).toBeNaN();
    expect(summary.rps).toBe(0);
  });
});
