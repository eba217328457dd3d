// The record of the edge keys a worker's answers may be stored under (edge-keys.ts): what it
// records, what an invalidation takes, and its bounds. The purge it feeds is edge-purger.test.ts;
// nginx storing only recorded listings is test/e2e/edge-cache.test.ts.
import { describe, expect, it } from '@jest/globals';
import { createEdgeKeys, generationEdgeKeys } from '../src/index.ts';

const LIST = '/api/catalog/products?sort=price&category=laptops';
const OTHER = '/api/catalog/products?category=phones';

function clocked(options: { holdMs?: number; maxKeys?: number; maxTagRefs?: number; active?: () => boolean } = {}) {
  let clock = 1_000_000;
  const keys = createEdgeKeys({ ...options, now: () => clock });
  return { keys, advance: (ms: number) => (clock += ms) };
}

describe('createEdgeKeys', () => {
  it('when an answer went to a request an edge location keyed by a class, then its raw URL is recorded under that class; a request without a known class is not (and the edge must not store it)', () => {
    const { keys } = clocked();
    expect(keys.record(LIST, 'br', ['products:list'])).toBe(true);
    expect(keys.record(LIST, 'gzip', ['products:list'])).toBe(true);
    expect(keys.record(LIST, 'identity', ['products:list'])).toBe(true);
    for (const value of [undefined, '', 'gzip, br', 'BR', 'deflate']) expect(keys.record(OTHER, value, ['products:list'])).toBe(false);
    expect(keys.take(['products:list'])).toEqual([
      { path: LIST, encoding: 'br' },
      { path: LIST, encoding: 'gzip' },
      { path: LIST, encoding: 'identity' },
    ]);
  });

  it('when a tag is invalidated, then exactly the keys whose answers carried it are taken, once; the others stay', () => {
    const { keys } = clocked();
    keys.record(LIST, 'br', ['products:list', 'product:a']);
    keys.record(OTHER, 'br', ['products:list', 'product:b']);
    expect(keys.take(['product:a'])).toEqual([{ path: LIST, encoding: 'br' }]);
    expect(keys.take(['product:a'])).toEqual([]);
    expect(keys.take(['product:zzz', 'products:list'])).toEqual([{ path: OTHER, encoding: 'br' }]);
    expect(keys.size).toBe(0);
  });

  it('when another entry answers the same key before an invalidation (a refill), then its tags count too', () => {
    const { keys } = clocked();
    keys.record(LIST, 'gzip', ['products:list', 'product:a']);
    keys.record(LIST, 'gzip', ['products:list', 'product:c']);
    expect(keys.size).toBe(1);
    expect(keys.take(['product:c'])).toEqual([{ path: LIST, encoding: 'gzip' }]);
    keys.record(LIST, 'gzip', ['products:list', 'product:a']);
    expect(keys.take(['product:a'])).toEqual([{ path: LIST, encoding: 'gzip' }]);
  });

  it('when a key was last answered longer ago than the hold (the edge entry is gone), then it is not taken, and it is swept', () => {
    const { keys, advance } = clocked({ holdMs: 1_000 });
    keys.record(LIST, 'br', ['products:list']);
    advance(600);
    keys.record(OTHER, 'br', ['products:list']);
    advance(500);
    expect(keys.take(['products:list'])).toEqual([{ path: OTHER, encoding: 'br' }]);
    keys.record(LIST, 'br', ['products:list']);
    advance(1_500);
    keys.record(OTHER, 'identity', ['x']);
    expect(keys.size).toBe(1);
  });

  it('when an answer is given again within the hold, then the hold starts over', () => {
    const { keys, advance } = clocked({ holdMs: 1_000 });
    keys.record(LIST, 'br', ['products:list']);
    advance(800);
    keys.record(LIST, 'br', ['products:list']);
    advance(800);
    expect(keys.take(['products:list'])).toEqual([{ path: LIST, encoding: 'br' }]);
  });

  it('when the record is full of live keys, then a new key is refused (not stored at the edge) and a known one still answers; expired keys make room', () => {
    const { keys, advance } = clocked({ holdMs: 1_000, maxKeys: 2 });
    expect(keys.record('/a', 'br', ['t'])).toBe(true);
    expect(keys.record('/b', 'br', ['t'])).toBe(true);
    expect(keys.record('/c', 'br', ['t'])).toBe(false);
    expect(keys.record('/a', 'br', ['t'])).toBe(true);
    advance(1_001);
    expect(keys.record('/c', 'br', ['t'])).toBe(true);
    expect(keys.take(['t'])).toEqual([{ path: '/c', encoding: 'br' }]);
  });

  it('when the record is not active (this worker may be missing invalidations), then nothing is recorded', () => {
    let active = false;
    const { keys } = clocked({ active: () => active });
    expect(keys.record(LIST, 'br', ['products:list'])).toBe(false);
    active = true;
    expect(keys.record(LIST, 'br', ['products:list'])).toBe(true);
    expect(keys.size).toBe(1);
  });

  it('when the tag index is full, then a new key is refused whole, and a refill whose tags do not all fit is not marked (nor any later hit of it)', () => {
    const { keys } = clocked({ maxTagRefs: 4 });
    const first = ['products:list', 'product:a'];
    expect(keys.record(LIST, 'br', first)).toBe(true);
    expect(keys.record(OTHER, 'br', ['products:list', 'product:b', 'product:c'])).toBe(false);
    const refill = ['products:list', 'product:d', 'product:e', 'product:f'];
    expect(keys.record(LIST, 'br', refill)).toBe(false);
    expect(keys.record(LIST, 'br', refill)).toBe(false);
    // The first answer is still recorded in full: what the edge may hold of it is purged.
    expect(keys.record(LIST, 'br', first)).toBe(true);
    expect(keys.take(['product:a'])).toEqual([{ path: LIST, encoding: 'br' }]);
  });

  it('when keys expire, then the oldest answered go first, and one answered again stays', () => {
    const { keys, advance } = clocked({ holdMs: 1_000 });
    keys.record('/a', 'br', ['t']);
    advance(300);
    keys.record('/b', 'br', ['t']);
    advance(300);
    keys.record('/a', 'br', ['t']);
    advance(800);
    keys.record('/c', 'br', ['u']);
    expect(keys.size).toBe(2);
    expect(keys.take(['t'])).toEqual([{ path: '/a', encoding: 'br' }]);
  });

  it('when one stored entry is answered under many raw URLs in one class (its parameters reordered or escaped), then only the first few are recorded', () => {
    const { keys } = clocked();
    const tags = ['products:list', 'product:a'];
    const variants = ['?a=1&b=2', '?b=2&a=1', '?%61=1&b=2', '?a=1&&b=2', '?a=1&b=2&'].map((q) => `/api/catalog/products${q}`);
    expect(variants.map((v) => keys.record(v, 'br', tags))).toEqual([true, true, true, true, false]);
    // Known ones still answer; another class and another entry have their own allowance.
    expect(keys.record(variants[0]!, 'br', tags)).toBe(true);
    expect(keys.record(variants[4]!, 'gzip', tags)).toBe(true);
    expect(keys.record(variants[4]!, 'br', ['products:list', 'product:a'])).toBe(true);
  });

  it('when every key is asked for (invalidations may have been missed), then every live key is taken', () => {
    const { keys } = clocked();
    keys.record(LIST, 'br', ['a']);
    keys.record(OTHER, 'gzip', ['b']);
    expect(keys.takeAll()).toEqual([
      { path: LIST, encoding: 'br' },
      { path: OTHER, encoding: 'gzip' },
    ]);
    expect(keys.take(['a', 'b'])).toEqual([]);
  });
});

describe('generationEdgeKeys', () => {
  it('when an answer went to a request an edge location keyed by a class, then it may be stored while active; nothing is held, since one generation bump drops them all', () => {
    let active = true;
    const keys = generationEdgeKeys(() => active);
    for (const value of ['br', 'gzip', 'identity']) expect(keys.record('/api/search?q=red', value, ['search:results'])).toBe(true);
    for (const value of [undefined, '', 'gzip, br', 'BR', 'deflate']) expect(keys.record('/api/search?q=red', value, ['search:results'])).toBe(false);
    active = false;
    expect(keys.record('/api/search?q=red', 'br', ['search:results'])).toBe(false);
    expect([keys.take(['search:results']), keys.takeAll(), keys.size]).toEqual([[], [], 0]);
  });
});
