/**
 * Building the bench's Go generators (vegeta-build.ts, loadgen-build.ts): finding the Go tool, and
 * building into a staging directory that is moved into place, so a second bench building at the
 * same time, or one interrupted, never leaves a half-written binary where the next run would use it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The oldest Go that builds both generators (vegeta's go.mod; loadgen's asks for less). */
export const GO_NEEDED = '1.22';
/** Where the official Go tarball installs when it is not on the PATH. */
const GO_CANDIDATES = ['go', '/usr/local/go/bin/go'];

export const GO_INSTALL = `Go ${GO_NEEDED} or newer (https://go.dev/dl/; Debian bookworm's golang-go is older)`;
export const OR_NODE = 'or pass --generator node for the old Node client (its timer lags 2–5 ms at p99)';

/** The Go tool on the PATH or in /usr/local/go, or null. */
export function findGo(): string | null {
  return GO_CANDIDATES.find((candidate) => spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0) ?? null;
}

export interface GoBuild {
  /** Where the binary goes; its directory is created. */
  binary: string;
  /** What is built, for messages ("vegeta v12.13.0"). */
  name: string;
  /** Runs the build with `go`, leaving a binary named like `binary` in `staging`. */
  run: (go: string, staging: string) => SpawnSyncReturns<string>;
  /** The command, for the error message. */
  command: string;
  /** What else the build needs, for the error message. */
  needs: string;
}

/** `build.binary`, built when it is not there yet. Throws an error naming what to install. */
export function ensureGoBinary(build: GoBuild, log: (line: string) => void): string {
  if (existsSync(build.binary)) return build.binary;
  const go = findGo();
  if (!go) throw new Error(`the bench's open-loop generator, ${build.name}, is built with Go, and no \`go\` was found: install ${GO_INSTALL} and run the bench again, ${OR_NODE}`);
  const dir = path.dirname(build.binary);
  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(path.join(dir, 'build-'));
  try {
    log(`building ${build.name} with ${go} (once; later runs reuse ${path.relative(process.cwd(), build.binary)}) …`);
    const result = build.run(go, staging);
    const built = path.join(staging, path.basename(build.binary));
    if (result.status !== 0 || !existsSync(built)) {
      throw new Error(
        `building the bench's open-loop generator failed: \`${go} ${build.command}\` (${result.error?.message ?? `exit ${result.status}`}): ${`${result.stdout}${result.stderr}`.trim()}\n` +
          `It needs ${GO_INSTALL}${build.needs}; ${OR_NODE}`,
      );
    }
    renameSync(built, build.binary);
    return build.binary;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
