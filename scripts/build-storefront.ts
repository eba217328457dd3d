// `npm run build:storefront [-- --out DIR]`: the storefront into storefront/dist (or DIR), which
// nginx serves (`npm start` runs this itself). Prints each asset with its compressed sizes.
import path from 'node:path';
import { cliArgs } from './lib/args.ts';
import { buildStorefront } from './lib/storefront-build.ts';

const args = cliArgs({ out: { type: 'string' } }, 'npm run build:storefront [-- --out DIR]');
const started = performance.now();
const built = await buildStorefront(args.out ? path.resolve(args.out) : undefined);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
for (const asset of built.assets) {
  console.log(`  ${asset.file.padEnd(34)} ${kb(asset.bytes).padStart(9)}   br ${kb(asset.brotliBytes).padStart(8)}   gzip ${kb(asset.gzipBytes).padStart(8)}`);
}
console.log(`storefront built into ${built.outDir} in ${Math.round(performance.now() - started)} ms`);
