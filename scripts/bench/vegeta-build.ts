/**
 * vegeta (Go, MIT, github.com/tsenart/vegeta), the bench's open-loop generator before loadgen and
 * its cross-check since (`--generator vegeta`), built from the Go module proxy once per version
 * into .run/tools (git-ignored) and reused from there (decision 0013). Without Go, or when the
 * build fails, the bench stops and says what to install.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runDir } from '../lib/paths.ts';
import { ensureGoBinary } from './go-build.ts';

export const VEGETA_VERSION = 'v12.13.0';
const VEGETA_MODULE = `github.com/tsenart/vegeta/v12@${VEGETA_VERSION}`;

/** The built binary's place; the version is in the directory, so another version builds anew. */
export const vegetaPath = path.join(runDir, 'tools', `vegeta-${VEGETA_VERSION}`, 'vegeta');

/** The vegeta binary, built when it is not there yet (about 30 s, downloading its modules). */
export function ensureVegeta(log: (line: string) => void = () => {}): string {
  return ensureGoBinary(
    {
      binary: vegetaPath,
      name: `vegeta ${VEGETA_VERSION}`,
      command: `install ${VEGETA_MODULE}`,
      needs: ' and the Go module proxy (GOPROXY) within reach',
      run: (go, staging) => spawnSync(go, ['install', VEGETA_MODULE], { env: { ...process.env, GOBIN: staging }, encoding: 'utf8' }),
    },
    log,
  );
}
