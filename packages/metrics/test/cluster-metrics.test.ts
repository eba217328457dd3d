import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { Gauge } from 'prom-client';
import { clusterMetrics, createServiceMetrics, performanceSummary, serviceClusterMetrics, type ClusterMetrics, type ServiceMetrics } from '../src/index.ts';

const url = process.env.REDIS_URL;
let redis: Redis;
const opened: ClusterMetrics[] = [];

beforeAll(() => {
  if (!url) throw new Error('REDIS_URL is not set: run the tests through jest (the global setup resolves it)');
  redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.stop()));
  redis.disconnect();
});

/** A "worker": its own registry and aggregator, pushing into the service's shared keys. */
function worker(keyPrefix: string, id: string, service = 'catalog', client: Redis = redis): { metrics: ServiceMetrics; cluster: ClusterMetrics } {
  const metrics = createServiceMetrics(service, { defaults: false });
  const cluster = clusterMetrics({ registry: metrics.registry, redis: client, keyPrefix, workerId: id, flushMs: 60_000 });
  opened.push(cluster);
  return { metrics, cluster };
}

const prefix = (): string => `test-metrics-${randomBytes(4).toString('hex')}:metrics:catalog:`;

/** The value of one sample line, e.g. `http_requests_total{…route="/x"…}`. */
function sample(text: string | null, name: string, labels: Record<string, string>): number | undefined {
  for (const line of (text ?? '').split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const GET_X = { method: 'GET', route: '/api/catalog/x', status_code: '200' };

describe('metrics across PM2 workers', () => {
  it('when two workers count requests, then one scrape on either returns the exact sum', async () => {
    const keyPrefix = prefix();
    const a = worker(keyPrefix, 'a');
    const b = worker(keyPrefix, 'b');
    for (let i = 0; i < 7; i++) a.metrics.http.requests.inc(GET_X);
    for (let i = 0; i < 5; i++) b.metrics.http.requests.inc(GET_X);
    a.metrics.http.duration.observe(GET_X, 0.003);
    b.metrics.http.duration.observe(GET_X, 0.2);
    await b.cluster.flush();

    for (const scraper of [a, b]) {
      const text = await scraper.cluster.render();
      expect(sample(text, 'http_requests_total', GET_X)).toBe(12);
      expect(sample(text, 'http_request_duration_seconds_count', GET_X)).toBe(2);
      expect(sample(text, 'http_request_duration_seconds_bucket', { ...GET_X, le: '0.005' })).toBe(1);
      expect(sample(text, 'http_request_duration_seconds_bucket', { ...GET_X, le: '0.25' })).toBe(2);
      expect(sample(text, 'http_request_duration_seconds_bucket', { ...GET_X, le: '+Inf' })).toBe(2);
      expect(sample(text, 'shop_metrics_workers', { service: 'catalog' })).toBe(2);
    }
    // A second scrape does not count anything twice.
    expect(sample(await a.cluster.render(), 'http_requests_total', GET_X)).toBe(12);
  });

  it('when a worker is replaced (reload: final push, then a fresh worker from zero), then no counter goes backwards', async () => {
    const keyPrefix = prefix();
    const old = worker(keyPrefix, 'old');
    const other = worker(keyPrefix, 'other');
    for (let i = 0; i < 10; i++) old.metrics.http.requests.inc(GET_X);
    other.metrics.http.requests.inc(GET_X);
    await old.cluster.flush(); // its periodic push
    const before = sample(await other.cluster.render(), 'http_requests_total', GET_X);
    old.metrics.http.requests.inc(GET_X); // counted after the last scrape, pushed while stopping
    await old.cluster.stop();

    const successor = worker(keyPrefix, 'new');
    successor.metrics.http.requests.inc(GET_X);
    const after = sample(await successor.cluster.render(), 'http_requests_total', GET_X);
    expect(before).toBe(11);
    expect(after).toBe(13);
  });

  it('when workers report gauges, then each is combined as declared and a worker that stopped reporting drops out', async () => {
    const keyPrefix = prefix();
    const a = worker(keyPrefix, 'a');
    const b = worker(keyPrefix, 'b');
    a.metrics.http.inFlight.set(3);
    b.metrics.http.inFlight.set(4);
    const lagA = new Gauge({ name: 'test_lag_seconds', help: 'lag', registers: [a.metrics.registry], aggregator: 'max' });
    const lagB = new Gauge({ name: 'test_lag_seconds', help: 'lag', registers: [b.metrics.registry], aggregator: 'max' });
    lagA.set(0.02);
    lagB.set(0.5);
    await a.cluster.flush();
    let text = await b.cluster.render();
    expect(sample(text, 'http_requests_in_flight', { service: 'catalog' })).toBe(7);
    expect(sample(text, 'test_lag_seconds', { service: 'catalog' })).toBe(0.5);

    // Worker a was SIGKILLed: it no longer refreshes its gauges, which expire with its entry.
    await redis.del(`${keyPrefix}gauges:a`);
    text = await b.cluster.render();
    expect(sample(text, 'http_requests_in_flight', { service: 'catalog' })).toBe(4);
    expect(sample(text, 'shop_metrics_workers', { service: 'catalog' })).toBe(1);
  });

  it('when Redis is unreachable, then a scrape has no answer (a gap, not one worker’s numbers passed off as the service’s)', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    const alone = worker(prefix(), 'alone', 'catalog', dead);
    alone.metrics.http.requests.inc(GET_X);
    expect(await alone.cluster.render()).toBeNull();
    dead.disconnect();
  });

  it('when a push was applied but its answer was lost (a timeout), then its increments are not applied again', async () => {
    const keyPrefix = prefix();
    let loseNextAnswer = true;
    // The real client, except that one EXEC's reply is lost after Redis applied it.
    const flaky = Object.create(redis) as Redis;
    flaky.multi = ((...args: Parameters<Redis['multi']>) => {
      const multi = redis.multi(...args);
      const exec = multi.exec.bind(multi);
      multi.exec = (async () => {
        const results = await exec();
        if (loseNextAnswer) {
          loseNextAnswer = false;
          throw new Error('Command timed out');
        }
        return results;
      }) as typeof multi.exec;
      return multi;
    }) as Redis['multi'];
    const a = worker(keyPrefix, 'a', 'catalog', flaky);
    for (let i = 0; i < 4; i++) a.metrics.http.requests.inc(GET_X);
    await expect(a.cluster.flush()).rejects.toThrow('Command timed out');
    a.metrics.http.requests.inc(GET_X);
    expect(sample(await a.cluster.render(), 'http_requests_total', GET_X)).toBe(5);
  });

  it('when a worker stops, then it leaves the worker count and its gauges at once', async () => {
    const keyPrefix = prefix();
    const a = worker(keyPrefix, 'a');
    const b = worker(keyPrefix, 'b');
    a.metrics.http.inFlight.set(2);
    b.metrics.http.inFlight.set(1);
    await a.cluster.flush();
    expect(sample(await b.cluster.render(), 'shop_metrics_workers', {})).toBe(2);
    await a.cluster.stop();
    const text = await b.cluster.render();
    expect(sample(text, 'shop_metrics_workers', {})).toBe(1);
    expect(sample(text, 'http_requests_in_flight', {})).toBe(1);
  });

  it('when a counter has not moved yet, then its series is there at 0 from the first scrape', async () => {
    const { metrics, cluster } = worker(prefix(), 'a');
    metrics.rateLimitRejections.inc(0);
    expect(sample(await cluster.render(), 'rate_limit_rejections_total', { service: 'catalog' })).toBe(0);
  });

  it('when a scrape of a worker with every metric family is checked by promtool, then it passes', async () => {
    const keyPrefix = prefix();
    const metrics = createServiceMetrics('search');
    const cluster = clusterMetrics({ registry: metrics.registry, redis, keyPrefix, workerId: 'w1', flushMs: 60_000 });
    opened.push(cluster);
    metrics.http.requests.inc(GET_X);
    metrics.http.duration.observe(GET_X, 0.01);
    metrics.cache.hit('l1');
    metrics.cache.miss();
    metrics.cache.loaderDuration(12, true);
    metrics.mongo.commandDuration.observe({ command: 'find', result: 'ok' }, 0.002);
    metrics.rateLimitRejections.inc();
    const text = (await cluster.render()) ?? '';
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(promtool.error).toBeUndefined();
    expect({ status: promtool.status, output: `${promtool.stdout}${promtool.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('when workers record slow MongoDB commands, then the performance summary lists them newest first, bounded, with the service', async () => {
    const cachePrefix = `test-slow-${randomBytes(4).toString('hex')}:`;
    const catalog = createServiceMetrics('catalog', { defaults: false });
    const search = createServiceMetrics('search', { defaults: false });
    const clusters = [catalog, search].map((m) =>
      serviceClusterMetrics(m, { redis, cachePrefix }),
    );
    opened.push(...clusters);
    catalog.recordSlowQuery('find', 140);
    for (let i = 0; i < 30; i++) search.recordSlowQuery('aggregate', 200 + i);
    catalog.http.requests.inc({ method: 'GET', route: '/api/catalog/products', status_code: '200' });
    catalog.http.requests.inc({ method: 'GET', route: '/api/catalog/products', status_code: '503' });
    await Promise.all(clusters.map((c) => c.flush()));
    const summary = await performanceSummary(redis, cachePrefix, ['catalog', 'order', 'search'], 'catalog');
    // 20 wait in a worker between pushes at most; the rest are counted as dropped.
    expect(summary.slowQueries.filter((q) => q.service === 'search')).toHaveLength(20);
    expect(summary.slowQueries.find((q) => q.service === 'catalog')).toMatchObject({ command: 'find', ms: 140 });
    expect(summary.services.find((s) => s.service === 'catalog')).toMatchObject({ requests: 2, errorRate: 0.5 });
    expect(summary.services.find((s) => s.service === 'order')).toMatchObject({ requests: 0, latencyMs: null });
  });
});
