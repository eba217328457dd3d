import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { figuresBetween, oldGenerationInUseMb } from '../src/index.ts';

describe('worker figures for pm2 monit', () => {
  it('when two readings 5 s apart are compared, then req/s, p95 and cache hit rate describe only that window', () => {
    const before = { requests: 1_000, buckets: new Map([[0.005, 900], [0.05, 1_000], [Infinity, 1_000]]), hits: 50, misses: 50 };
    // 100 new requests: 90 under 5 ms, 10 between 5 and 50 ms; 30 hits and 10 misses.
    const after = { requests: 1_100, buckets: new Map([[0.005, 990], [0.05, 1_100], [Infinity, 1_100]]), hits: 80, misses: 60 };
    expect(figuresBetween(before, after, 5)).toEqual({ requestsPerSecond: 20, p95Ms: 27.5, cacheHitRate: 75 });
  });

  it('when nothing happened in the window, then there is no p95 and no hit rate rather than zeros', () => {
    const same = { requests: 10, buckets: new Map([[Infinity, 10]]), hits: 1, misses: 1 };
    expect(figuresBetween(same, same, 5)).toEqual({ requestsPerSecond: 0, p95Ms: null, cacheHitRate: null });
  });

  it('when 32 MB of strings survive collection, then the old generation in use after it has grown by about that much', () => {
    // The test forces the collections a busy service gets by itself.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Two collections for the baseline too: garbage one collection leaves (objects it only moved,
    // what earlier suites in this jest worker left) must not be counted before and gone after.
    gc();
    gc();
    const before = oldGenerationInUseMb();
    // 8 192 flat 4 KB strings (small enough to live in V8's heap, not outside it as Node keeps
    // strings over ~1 MB), promoted to the old generation by two collections.
    const kept = Array.from({ length: 8_192 }, (_, i) => Buffer.alloc(4_096, 97 + (i % 26)).toString('latin1'));
    gc();
    gc();
    const after = oldGenerationInUseMb();
    expect(kept.length).toBe(8_192);
    expect(after - before).toBeGreaterThanOrEqual(28);
    expect(after - before).toBeLessThan(48);
  });
});
