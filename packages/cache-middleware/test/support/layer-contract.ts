import { describe, expect, it } from '@jest/globals';
import { makeEntry, type CacheEntry, type CacheLayer } from '../../src/index.ts';
import { sleep } from './redis.ts';

const life = { ttl: 10_000, staleWhileRevalidate: 0, staleIfError: 0, jitter: 0 };
const entry = (value: unknown, tags: string[] = [], ttl = 10_000): CacheEntry => makeEntry(value, tags, { ...life, ttl }, Date.now());

let counter = 0;
const unique = (name: string): string => `${name}-${process.pid}-${Date.now()}-${counter++}`;

/** The behaviour every cache layer must have. Run it against each implementation. */
export function layerContract(name: string, makeLayer: () => CacheLayer): void {
  describe(`layer contract: ${name}`, () => {
    it('when a key was never set, then get returns undefined', async () => {
      expect(await makeLayer().get(unique('missing'))).toBeUndefined();
    });

    it('when an entry is set, then get returns it intact, Buffers included', async () => {
      const layer = makeLayer();
      const key = unique('roundtrip');
      const value = { n: 1, s: 'ü', list: [1, 2], body: Buffer.from('bytes\u0000here') };
      const stored = entry(value, ['tag-a']);
      expect(await layer.set(key, stored, Date.now() - 1)).toBe(true);
      const read = await layer.get(key);
      expect(read).toEqual(stored);
      expect(Buffer.isBuffer((read?.value as { body: Buffer }).body)).toBe(true);
    });

    it('when the entry outlives its store time, then it is gone', async () => {
      const layer = makeLayer();
      const key = unique('expiring');
      await layer.set(key, entry('short', [], 80), Date.now());
      expect(await layer.get(key)).toBeDefined();
      await sleep(200);
      expect(await layer.get(key)).toBeUndefined();
    });

    it('when keys are deleted, then only those are gone', async () => {
      const layer = makeLayer();
      const [a, b] = [unique('del-a'), unique('del-b')];
      await layer.set(a, entry('a'), Date.now());
      await layer.set(b, entry('b'), Date.now());
      await layer.deleteKeys([a]);
      expect(await layer.get(a)).toBeUndefined();
      expect((await layer.get(b))?.value).toBe('b');
    });

    it('when a tag is deleted, then every entry with it is gone and the others stay', async () => {
      const layer = makeLayer();
      const tag = unique('tag');
      const [a, b, c] = [unique('t-a'), unique('t-b'), unique('t-c')];
      await layer.set(a, entry('a', [tag]), Date.now());
      await layer.set(b, entry('b', [tag, unique('other')]), Date.now());
      await layer.set(c, entry('c', [unique('unrelated')]), Date.now());
      await layer.deleteTags([tag]);
      expect(await layer.get(a)).toBeUndefined();
      expect(await layer.get(b)).toBeUndefined();
      expect((await layer.get(c))?.value).toBe('c');
    });

    it('when a tag was invalidated after a load started, then storing that load is refused', async () => {
      const layer = makeLayer();
      const tag = unique('race-tag');
      const key = unique('race');
      const loadStartedAt = Date.now();
      await sleep(2);
      await layer.deleteTags([tag]);
      expect(await layer.set(key, entry('old', [tag]), loadStartedAt)).toBe(false);
      expect(await layer.get(key)).toBeUndefined();
      await sleep(2);
      expect(await layer.set(key, entry('new', [tag]), Date.now())).toBe(true);
      expect((await layer.get(key))?.value).toBe('new');
    });

    it('when a key was invalidated after a load started, then storing that load is refused', async () => {
      const layer = makeLayer();
      const key = unique('race-key');
      const loadStartedAt = Date.now();
      await sleep(2);
      await layer.deleteKeys([key]);
      expect(await layer.set(key, entry('old'), loadStartedAt)).toBe(false);
    });
  });
}
