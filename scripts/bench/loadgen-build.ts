/**
 * loadgen (scripts/bench/loadgen, Go standard library only), the bench's open-loop generator
 * (decision 0013), built once per version of its sources into .run/tools (git-ignored): the
 * directory's name carries a hash of them, so a changed source builds anew. It needs the Go tool
 * and nothing from the network.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runDir } from '../lib/paths.ts';
import { ensureGoBinary } from './go-build.ts';

export const loadgenSource = path.join(repoRoot, 'scripts', 'bench', 'loadgen');

/** The files the binary is built from (its tests are not), in a stable order. */
function sourceFiles(): string[] {
  return readdirSync(loadgenSource)
    .filter((name) => name === 'go.mod' || (name.endsWith('.go') && !name.endsWith('_test.go')))
    .sort();
}

/** A short hash of the sources: names and contents. */
export function loadgenVersion(): string {
  const hash = createHash('sha256');
  for (const name of sourceFiles()) hash.update(name).update('\0').update(readFileSync(path.join(loadgenSource, name))).update('\0');
  return hash.digest('hex').slice(0, 12);
}

export function loadgenPath(version = loadgenVersion()): string {
  return path.join(runDir, 'tools', `loadgen-${version}`, 'loadgen');
}

/** The environment of the build: this Go alone (no toolchain download), no workspace, no cgo. */
export const GO_BUILD_ENV = { GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '', CGO_ENABLED: '0' };

/** The loadgen binary, built when this version of its sources is not built yet (a few seconds). */
export function ensureLoadgen(log: (line: string) => void = () => {}): string {
  const version = loadgenVersion();
  return ensureGoBinary(
    {
      binary: loadgenPath(version),
      name: `loadgen ${version}`,
      command: `build -trimpath -o <dir>/loadgen . (in ${path.relative(repoRoot, loadgenSource)})`,
      needs: '',
      run: (go, staging) =>
        spawnSync(go, ['build', '-trimpath', '-o', path.join(staging, 'loadgen'), '.'], { cwd: loadgenSource, env: { ...process.env, ...GO_BUILD_ENV }, encoding: 'utf8' }),
    },
    log,
  );
}
