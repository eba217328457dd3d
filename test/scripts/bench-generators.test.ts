import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CLIENT_HEADERS } from '../../scripts/bench/load-process.ts';
import { ensureVegeta } from '../../scripts/bench/vegeta-build.ts';
import { parseVegetaLine, scheduleLags, summarizeVegeta, timestampMs, type VegetaResult } from '../../scripts/bench/vegeta-results.ts';
import { constantRateOpenLoop, type ConstantRateGenerator } from '../../scripts/bench/constant-rate.ts';
import { findGo } from '../../scripts/bench/go-build.ts';
import { ensureLoadgen, GO_BUILD_ENV, loadgenSource } from '../../scripts/bench/loadgen-build.ts';
import { loadgenArgs } from '../../scripts/bench/loadgen.ts';
import { attackArgs, targetCount, vegetaTarget } from '../../scripts/bench/vegeta.ts';
import { latencyPercentiles, type RequestSpec } from '../../scripts/lib/open-loop.ts';

describe('vegetaTarget (scripts/bench/vegeta.ts)', () => {
  it('when the spec is a path, then it is a GET of that URL without headers or body', () => {
    expect(JSON.parse(vegetaTarget('/api/search?q=caf%C3%A9', 'http://127.0.0.1:8080'))).toEqual({ method: 'GET', url: 'http://127.0.0.1:8080/api/search?q=caf%C3%A9' });
  });

  it('when the spec is a POST with headers and a UTF-8 body, then each header is a one-value list and the body is its bytes in base64', () => {
    const body = JSON.stringify({ items: [{ productId: 'p1', quantity: 1 }], note: 'café ✓ 日本' });
    const line = vegetaTarget({ method: 'POST', path: '/api/orders', headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json', 'Idempotency-Key': 'bench-x-0' }, body }, 'http://127.0.0.1:1');
    expect(line).not.toContain('\n');
    const target = JSON.parse(line) as { method: string; url: string; header: Record<string, string[]>; body: string };
    expect(target.method).toBe('POST');
    expect(target.url).toBe('http://127.0.0.1:1/api/orders');
    expect(target.header).toEqual({ Authorization: ['Bearer t'], 'Content-Type': ['application/json'], 'Idempotency-Key': ['bench-x-0'] });
    expect(Buffer.from(target.body, 'base64').equals(Buffer.from(body, 'utf8'))).toBe(true);
  });

  it('when a spec object has no headers and an empty body, then neither key is written', () => {
    expect(JSON.parse(vegetaTarget({ method: 'DELETE', path: '/x', headers: {}, body: '' }, 'http://h:2'))).toEqual({ method: 'DELETE', url: 'http://h:2/x' });
  });
});

describe('attackArgs, targetCount (scripts/bench/vegeta.ts) and loadgenArgs (scripts/bench/loadgen.ts)', () => {
  const attack = { bin: 'vegeta', port: 1, next: () => '/', headers: CLIENT_HEADERS, connections: 32, rate: 1_500, warmupS: 0.5, durationS: 10 };

  it('when an attack is planned, then it reads lazy JSON targets at the rate for warm-up plus duration, with every client header', () => {
    const args = attackArgs(attack, '/tmp/out.bin');
    expect(args.slice(0, 5)).toEqual(['attack', '-lazy', '-format=json', '-rate=1500/s', '-duration=10500ms']);
    expect(args).toContain('-header=Accept-Encoding: br, gzip');
    expect(args).toContain('-header=Accept: application/json');
    expect(args).toContain('-keepalive=true');
    expect(args).toContain('-max-body=0');
    expect(args).toContain('-output=/tmp/out.bin');
  });

  it('when an attack is planned, then workers start at the connections and may grow to twice them, whatever the rate', () => {
    expect(attackArgs(attack, 'o')).toEqual(expect.arrayContaining(['-workers=32', '-max-workers=64']));
    expect(attackArgs({ ...attack, rate: 9, connections: 4 }, 'o')).toEqual(expect.arrayContaining(['-workers=4', '-max-workers=8']));
  });

  it('when targets are written, then there are more than the schedule sends', () => {
    expect(targetCount(attack)).toBeGreaterThan(1_500 * 10.5 + 1);
  });

  it('when loadgen is planned, then it has the same schedule, workers, timeout and headers as vegeta, and records the counted header', () => {
    expect(loadgenArgs({ ...attack, countHeader: 'X-Cache' }, '/tmp/t.json', '/tmp/r.json')).toEqual([
      '-targets=/tmp/t.json',
      '-output=/tmp/r.json',
      '-rate=1500',
      '-duration=10500ms',
      '-workers=32',
      '-max-workers=64',
      '-timeout=15s',
      '-header=Accept-Encoding: br, gzip',
      '-header=Accept: application/json',
      '-record-header=X-Cache',
    ]);
    expect(loadgenArgs(attack, 't', 'r').some((arg) => arg.startsWith('-record-header'))).toBe(false);
  });
});

describe('parseVegetaLine (scripts/bench/vegeta-results.ts)', () => {
  const line = (bytesIn: number, headers: Record<string, string[]> | null) =>
    JSON.stringify({ seq: 3, code: 200, timestamp: '2026-12-06T22:44:07Z', latency: 2_500_000, bytes_in: bytesIn, headers });

  it('when vegeta kept no body (-max-body=0), then the body bytes are the Content-Length it was sent with', () => {
    expect(parseVegetaLine(line(0, { 'Content-Length': ['417'], 'X-Cache': ['HIT-FAST'] }))).toMatchObject({ seq: 3, latencyMs: 2.5, bytesIn: 417, headers: { 'X-Cache': ['HIT-FAST'] } });
  });

  it('when vegeta counted the bytes or there is no Content-Length, then that count stands', () => {
    expect(parseVegetaLine(line(90, { 'Content-Length': ['417'] })).bytesIn).toBe(90);
    expect(parseVegetaLine(line(0, null)).bytesIn).toBe(0);
  });
});

describe('timestampMs (scripts/bench/vegeta-results.ts)', () => {
  it('when a timestamp has nanoseconds, then they are kept below the millisecond', () => {
    expect(timestampMs('2026-12-06T22:44:07.438385607Z') - Date.parse('2026-12-06T22:44:07Z')).toBeCloseTo(438.385607, 3);
  });

  it('when a timestamp has an offset or no fraction, then it is the same instant', () => {
    expect(timestampMs('2026-12-06T23:44:07.5+01:00')).toBe(Date.parse('2026-12-06T22:44:07.500Z'));
    expect(timestampMs('2026-12-06T22:44:07Z')).toBe(Date.parse('2026-12-06T22:44:07Z'));
    expect(() => timestampMs('yesterday')).toThrow(/unreadable timestamp/);
  });
});

/** Results at 100/s (due every 10 ms from t = 1000 ms) sent `lags` ms late. */
function scheduled(lags: number[], changes: (i: number) => Partial<VegetaResult> = () => ({})): VegetaResult[] {
  return lags.map((lag, seq) => ({ seq, code: 200, sentMs: 1_000 + seq * 10 + lag, latencyMs: 1 + seq, bytesIn: 10, headers: {}, ...changes(seq) }));
}

describe('scheduleLags and summarizeVegeta (scripts/bench/vegeta-results.ts)', () => {
  it('when results are sent late by known amounts, then each lag is that amount less the least one, in seq order', () => {
    const results = scheduled([0.25, 0.5, 3, 0.25, 1]).reverse();
    const lags = scheduleLags(results, 100);
    [0, 0.25, 2.75, 0, 0.75].forEach((lag, i) => expect(lags[i]).toBeCloseTo(lag, 9));
  });

  it('when there is a warm-up, then only the requests due inside the measured window count: statuses, errors, bytes, latencies, lag p99 and the counted header', () => {
    // 100/s, 0.02 s warm-up (seq 0, 1), 0.05 s measured (seq 2..6); seq 7 is past the window.
    const lags = [0, 0, 0.5, 0, 4, 0.25, 0, 9];
    const results = scheduled(lags, (seq) => ({
      ...(seq === 3 ? { code: 500 } : {}),
      ...(seq === 5 ? { code: 0, bytesIn: 0 } : {}),
      headers: seq === 6 ? {} : ({ 'X-Cache-Nginx': [seq % 2 ? 'HIT' : 'MISS'] } as Record<string, string[]>),
    }));
    const summary = summarizeVegeta(results, { rate: 100, warmupS: 0.02, durationS: 0.05, countHeader: 'x-cache-nginx' });
    expect(summary.answered).toBe(4);
    expect(summary.statuses).toEqual({ '200': 3, '500': 1 });
    expect(summary.errors).toBe(2);
    expect(summary.bodyBytes).toBe(40);
    expect(summary.latencies).toEqual([3, 5, 7]);
    expect(summary.elapsedS).toBe(0.05);
    // The measured lags are 0.5, 0, 4, 0.25, 0: nearest-rank p99 of five is the largest.
    expect(summary.timerLagP99).toBeCloseTo(4, 9);
    expect(summary.headerCounts).toEqual({ MISS: 2, HIT: 1, '-': 1 });
    expect(summary.unsent).toBe(0);
  });

  it('when vegeta never sent some requests due in the window, then they count as late from their due time to the end of the run', () => {
    // 100/s for 0.1 s: seq 0..9 due at 0..90 ms; only 0..4 were sent, on time.
    const summary = summarizeVegeta(scheduled([0, 0, 0, 0, 0]), { rate: 100, warmupS: 0, durationS: 0.1 });
    expect(summary.unsent).toBe(5);
    expect(summary.answered).toBe(5);
    // The run ended at 100 ms: seq 5 (due at 50 ms) is at least 50 ms late, and that is the p99 of ten.
    expect(summary.timerLagP99).toBeCloseTo(50, 9);
  });

  it('when no header is to be counted, then there are no header counts', () => {
    expect(summarizeVegeta(scheduled([0, 0]), { rate: 100, warmupS: 0, durationS: 0.02 })).not.toHaveProperty('headerCounts');
  });
});

const BUILD: Record<ConstantRateGenerator, () => string> = { loadgen: ensureLoadgen, vegeta: ensureVegeta };

describe.each(['loadgen', 'vegeta'] as const)('constantRateOpenLoop on %s (scripts/bench/constant-rate.ts) against a local node:http server', (generator) => {
  const RATE = 200;
  const DURATION_S = 2;
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string; sentBytes: number }[] = [];
  let server: http.Server;
  let bin = '';
  let run: Awaited<ReturnType<typeof constantRateOpenLoop>>;

  beforeAll(async () => {
    // Built here when it is not yet (no skip: without Go this fails with what to install).
    bin = BUILD[generator]();
    server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (chunk: Buffer) => parts.push(chunk));
      req.on('end', () => {
        const body = req.method === 'POST' ? '{"created":true}' : `{"url":"${req.url}"}`;
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts).toString('utf8'), sentBytes: Buffer.byteLength(body) });
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-Cache-Nginx': req.method === 'POST' ? 'BYPASS' : 'HIT' });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let i = 0;
    const next = (): RequestSpec => {
      const n = i++;
      return n % 4 === 3 ? { method: 'POST', path: '/orders', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `key-${n}` }, body: JSON.stringify({ n, note: 'café' }) } : `/products/${n}`;
    };
    const port = (server.address() as AddressInfo).port;
    run = await constantRateOpenLoop(generator, { bin, port, next, headers: CLIENT_HEADERS, connections: 4, rate: RATE, warmupS: 0, durationS: DURATION_S, countHeader: 'X-Cache-Nginx' });
  }, 600_000);

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('when it runs at 200/s for 2 s, then it sends the schedule: 400 measured requests, all answered, the server saw every one', () => {
    expect(run.summary.answered).toBe(RATE * DURATION_S);
    expect(run.summary.statuses).toEqual({ '200': 300, '201': 100 });
    expect(run.summary.errors).toBe(0);
    expect(run.summary.unsent).toBe(0);
    // vegeta may send the request due at exactly 2 s too: one past the measured window (loadgen
    // sends ceil(rate × duration), exactly the window).
    expect(run.results.length - RATE * DURATION_S).toBeGreaterThanOrEqual(0);
    expect(run.results.length - RATE * DURATION_S).toBeLessThanOrEqual(1);
    expect(seen).toHaveLength(run.results.length);
    const span = Math.max(...run.results.map((r) => r.sentMs)) - Math.min(...run.results.map((r) => r.sentMs));
    expect(span).toBeGreaterThan(1_900);
    expect(span).toBeLessThan(2_100);
    expect(run.summary.headerCounts).toEqual({ HIT: 300, BYPASS: 100 });
  });

  it('when the server reads the requests, then each carries the client headers, and the POSTs their own headers and bodies intact', () => {
    for (const s of seen) {
      expect(s.headers['accept-encoding']).toBe(CLIENT_HEADERS['Accept-Encoding']);
      expect(s.headers.accept).toBe(CLIENT_HEADERS.Accept);
    }
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(100);
    for (const post of posts) {
      const n = (JSON.parse(post.body) as { n: number; note: string }).n;
      expect(post.body).toBe(JSON.stringify({ n, note: 'café' }));
      expect(post.headers['content-length']).toBe(String(Buffer.byteLength(post.body)));
      expect(post.headers['idempotency-key']).toBe(`key-${n}`);
      expect(post.url).toBe('/orders');
    }
    // Body bytes: those the server sent to the measured requests, the first 400 of the stream
    // (request n is /products/n, or a POST whose body carries n).
    const streamIndex = (s: (typeof seen)[number]): number => (s.method === 'POST' ? (JSON.parse(s.body) as { n: number }).n : Number(s.url.split('/').pop()));
    const measured = seen.filter((s) => streamIndex(s) < RATE * DURATION_S);
    expect(measured).toHaveLength(RATE * DURATION_S);
    expect(run.summary.bodyBytes).toBe(measured.reduce((sum, s) => sum + s.sentBytes, 0));
  });

  it('when the lag is computed from the results, then it is the p99 of their schedule lags, and it and the latencies are plausible for an idle loopback', () => {
    const all = scheduleLags(run.results, RATE);
    expect(all.every((lag) => lag >= 0)).toBe(true);
    expect(Math.min(...all)).toBe(0);
    expect(run.summary.timerLagP99).toBe(latencyPercentiles(all.slice(0, RATE * DURATION_S)).p99);
    expect(run.summary.timerLagP99).toBeLessThan(20);
    const latency = latencyPercentiles(run.summary.latencies);
    expect(latency.n).toBe(RATE * DURATION_S);
    expect(latency.p50).toBeGreaterThan(0.01);
    expect(latency.p50).toBeLessThan(20);
    expect(latency.max).toBeLessThan(1_000);
  });
});

describe('loadgen (scripts/bench/loadgen)', () => {
  it('when its Go tests run, then they pass: response parsing, targets, pacing, reconnects, timeouts and worker growth', () => {
    const go = findGo();
    expect(go).not.toBeNull();
    const run = spawnSync(go ?? 'go', ['test', '-count=1', '.'], { cwd: loadgenSource, env: { ...process.env, ...GO_BUILD_ENV }, encoding: 'utf8', timeout: 300_000 });
    expect(`${run.stdout}${run.stderr}`).toMatch(/^ok\s+shop\/loadgen/m);
    expect(run.status).toBe(0);
  }, 320_000);
});
