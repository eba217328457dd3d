import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from '@jest/globals';
import { buildStorefront } from '../../scripts/lib/storefront-build.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-storefront-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** nginx's hashed-asset location (nginx/nginx.conf.template). */
const HASHED = /\.[0-9a-f]{8,}\.(?:js|css|svg|png|jpg|webp|avif|woff2)$/i;

describe('the storefront build', () => {
  it('when built, then every asset has a content-hashed name nginx caches as immutable, with .br and .gz of the same bytes, and index.html points at them', async () => {
    const out = path.join(dir, 'fresh');
    const build = await buildStorefront(out);
    expect(build.assets.map((a) => path.basename(a.file).replace(/\.[0-9a-f]{12}\./, '.*.'))).toEqual(['main.*.js', 'styles.*.css', 'favicon.*.svg']);
    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).not.toContain('{{');
    for (const asset of build.assets) {
      expect(asset.file).toMatch(HASHED);
      expect(html).toContain(`"/${asset.file}"`);
      const plain = readFileSync(path.join(out, asset.file));
      expect(plain.length).toBe(asset.bytes);
      expect(brotliDecompressSync(readFileSync(path.join(out, `${asset.file}.br`)))).toEqual(plain);
      expect(gunzipSync(readFileSync(path.join(out, `${asset.file}.gz`)))).toEqual(plain);
    }
    const js = build.assets.find((a) => a.file.endsWith('.js'))!;
    expect(js.brotliBytes).toBeLessThan(js.bytes * 0.4);
    expect(readFileSync(path.join(out, 'img', 'product-placeholder.svg'), 'utf8')).toContain('<svg');
  });

  it('when rebuilt after a change, then the previous generation stays (open tabs still load it) and the one before it goes', async () => {
    const out = path.join(dir, 'generations');
    const first = await buildStorefront(out);
    // A stale asset of an older build, as if it were two generations back.
    writeFileSync(path.join(out, 'assets', 'main.0123456789ab.js'), 'old');
    writeFileSync(path.join(out, '.manifest.json'), JSON.stringify({ current: first.assets.map((a) => a.file), previous: ['assets/main.0123456789ab.js'] }));
    const again = await buildStorefront(out);
    expect(again.assets).toEqual(first.assets);
    // Same sources: nothing changes, the older generation is still the previous one.
    expect(readdirSync(path.join(out, 'assets'))).toContain('main.0123456789ab.js');

    writeFileSync(path.join(out, '.manifest.json'), JSON.stringify({ current: ['assets/main.0123456789ab.js'], previous: ['assets/main.ffffffffffff.js'] }));
    writeFileSync(path.join(out, 'assets', 'main.ffffffffffff.js'), 'older');
    await buildStorefront(out);
    const files = readdirSync(path.join(out, 'assets'));
    expect(files).toContain('main.0123456789ab.js');
    expect(files).not.toContain('main.ffffffffffff.js');
    expect(JSON.parse(readFileSync(path.join(out, '.manifest.json'), 'utf8')).previous).toEqual(['assets/main.0123456789ab.js']);
  });
});
