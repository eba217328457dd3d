/**
 * Builds the storefront (storefront/src) into a directory nginx serves (decision 0012):
 * one minified ES module and one stylesheet, named by a hash of their content
 * (`assets/main.<12 hex>.js`) so that nginx can cache them for a year as immutable; each with
 * .br and .gz beside it (brotli 11 / gzip 9 once at build, served by brotli_static / gzip_static);
 * index.html last, atomically, pointing at them. The previous build's assets are kept one
 * generation, so a page loaded just before a rebuild still finds its script.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { repoRoot } from './paths.ts';

export const storefrontDir = path.join(repoRoot, 'storefront');
export const storefrontDist = path.join(storefrontDir, 'dist');

/** Browsers the bundle is written for (esbuild lowers newer syntax for them). */
const TARGETS = ['chrome111', 'edge111', 'firefox115', 'safari16.4'];
const COMPRESSIBLE = /\.(js|css|svg|html)$/;

export interface BuiltAsset {
  /** Path under the output directory, e.g. `assets/main.3f9a1c0b2d4e.js`. */
  file: string;
  bytes: number;
  gzipBytes: number;
  brotliBytes: number;
}

export interface StorefrontBuild {
  outDir: string;
  assets: BuiltAsset[];
  index: string;
}

const contentHash = (content: Uint8Array): string => createHash('sha256').update(content).digest('hex').slice(0, 12);

/**
 * Writes next to the final name and renames: nginx may be serving this directory, and a file it
 * caches for a year must never be seen half written. A hashed name that exists already has this
 * very content and is left alone.
 */
function writeOnce(full: string, content: Uint8Array): void {
  if (existsSync(full)) return;
  const tmp = `${full}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, full);
}

function writeCompressed(outDir: string, file: string, content: Uint8Array): BuiltAsset {
  const full = path.join(outDir, file);
  mkdirSync(path.dirname(full), { recursive: true });
  if (!COMPRESSIBLE.test(file)) {
    writeOnce(full, content);
    return { file, bytes: content.byteLength, gzipBytes: content.byteLength, brotliBytes: content.byteLength };
  }
  const gzip = gzipSync(content, { level: 9 });
  const brotli = brotliCompressSync(content, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: content.byteLength, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
  });
  // Compressed files first: nginx's *_static looks for them only once the plain file exists.
  writeOnce(`${full}.gz`, gzip);
  writeOnce(`${full}.br`, brotli);
  writeOnce(full, content);
  return { file, bytes: content.byteLength, gzipBytes: gzip.byteLength, brotliBytes: brotli.byteLength };
}

function hashedName(name: string, ext: string, content: Uint8Array): string {
  return `assets/${name}.${contentHash(content)}${ext}`;
}

/** Deletes assets from builds before the previous one (with their .br/.gz). */
function prune(outDir: string, keep: Set<string>): void {
  const assetsDir = path.join(outDir, 'assets');
  if (!existsSync(assetsDir)) return;
  for (const entry of readdirSync(assetsDir)) {
    const file = `assets/${entry.replace(/\.(br|gz)$/, '').replace(/\.\d+\.tmp$/, '')}`;
    if (!keep.has(file)) rmSync(path.join(assetsDir, entry), { force: true });
  }
}

export async function buildStorefront(outDir = storefrontDist): Promise<StorefrontBuild> {
  const src = path.join(storefrontDir, 'src');
  const result = await build({
    entryPoints: [path.join(src, 'main.ts'), path.join(src, 'styles.css')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: TARGETS,
    write: false,
    outdir: '/out',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js || !css) throw new Error('esbuild produced no main.js or styles.css');
  const favicon = readFileSync(path.join(storefrontDir, 'public', 'favicon.svg'));

  mkdirSync(outDir, { recursive: true });
  const assets = [
    writeCompressed(outDir, hashedName('main', '.js', js.contents), js.contents),
    writeCompressed(outDir, hashedName('styles', '.css', css.contents), css.contents),
    writeCompressed(outDir, hashedName('favicon', '.svg', favicon), favicon),
  ];
  const [script, styles, icon] = assets.map((a) => `/${a.file}`);

  // Not hashed: product images are addressed by the catalog's URLs; nginx falls back to this one.
  const imgDir = path.join(outDir, 'img');
  mkdirSync(imgDir, { recursive: true });
  for (const entry of readdirSync(path.join(storefrontDir, 'public', 'img'))) {
    copyFileSync(path.join(storefrontDir, 'public', 'img', entry), path.join(imgDir, entry));
  }

  const template = readFileSync(path.join(src, 'index.html'), 'utf8');
  const html = template.replace(/\{\{(JS|CSS|FAVICON)\}\}/g, (_m, name: string) => ({ JS: script, CSS: styles, FAVICON: icon })[name] ?? '');
  if (/\{\{/.test(html)) throw new Error('index.html has a placeholder the build does not fill');

  // The manifest remembers the previous build, whose assets stay for pages loaded before this one.
  const manifestPath = path.join(outDir, '.manifest.json');
  let before: { current?: string[]; previous?: string[] } = {};
  try {
    before = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof before;
  } catch {
    // First build here.
  }
  const current = assets.map((a) => a.file);
  // Rebuilding the same sources changes nothing: the generation before stays the previous one.
  const unchanged = JSON.stringify(before.current ?? []) === JSON.stringify(current);
  const previous = unchanged ? (before.previous ?? []) : (before.current ?? []);
  const tmp = path.join(outDir, `.index.html.${process.pid}`);
  writeFileSync(tmp, html);
  renameSync(tmp, path.join(outDir, 'index.html'));
  writeFileSync(manifestPath, `${JSON.stringify({ current, previous: previous.filter((f) => !current.includes(f)) }, null, 2)}\n`);
  prune(outDir, new Set([...current, ...previous]));
  return { outDir, assets, index: path.join(outDir, 'index.html') };
}
