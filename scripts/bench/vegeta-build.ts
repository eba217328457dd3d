/**
 * The bench's open-loop generator, vegeta (Go, MIT, github.com/tsenart/vegeta), built from the Go
 * module proxy once per version into .run/tools (git-ignored) and reused from there (decision
 * 0013: its pacing holds its schedule to well under a millisecond, where the Node client's timer
 * lagged 2–5 ms). Without Go, or when the build fails, the bench stops and says what to install:
 * there is no silent fallback to another generator.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runDir } from '../lib/paths.ts';

export const VEGETA_VERSION = 'v12.13.0';
const VEGETA_MODULE = `github.com/tsenart/vegeta/v12@${VEGETA_VERSION}`;
/** The oldest Go that builds it (its go.mod). */
const GO_NEEDED = '1.22';
/** Where the official Go tarball installs when it is not on the PATH. */
const GO_CANDIDATES = ['go', '/usr/local/go/bin/go'];

/** The built binary's place; the version is in the directory, so another version builds anew. */
export const vegetaPath = path.join(runDir, 'tools', `vegeta-${VEGETA_VERSION}`, 'vegeta');

/** The Go tool on the PATH or in /usr/local/go, or null. */
export function findGo(): string | null {
  return GO_CANDIDATES.find((candidate) => spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0) ?? null;
}

const GO_INSTALL = `Go ${GO_NEEDED} or newer (https://go.dev/dl/; Debian bookworm's golang-go is older)`;
const OR_NODE = 'or pass --generator node for the old Node client (its timer lags 2–5 ms at p99)';

/**
 * The vegeta binary, built when it is not there yet (about 30 s, downloading its modules). Throws
 * an error naming what to install when Go is missing or the build fails.
 */
export function ensureVegeta(log: (line: string) => void = () => {}): string {
  if (existsSync(vegetaPath)) return vegetaPath;
  const go = findGo();
  if (!go) throw new Error(`the bench's open-loop generator, vegeta ${VEGETA_VERSION}, is built with Go, and no \`go\` was found: install ${GO_INSTALL} and run the bench again, ${OR_NODE}`);
  const dir = path.dirname(vegetaPath);
  mkdirSync(dir, { recursive: true });
  // Built into a directory of its own, then moved into place: a second bench building at the same
  // time, or one interrupted, never leaves a half-written binary where the next run would use it.
  const staging = mkdtempSync(path.join(dir, 'build-'));
  try {
    log(`building vegeta ${VEGETA_VERSION} with ${go} (once; later runs reuse ${path.relative(process.cwd(), vegetaPath)}) …`);
    const build = spawnSync(go, ['install', VEGETA_MODULE], { env: { ...process.env, GOBIN: staging }, encoding: 'utf8' });
    const built = path.join(staging, 'vegeta');
    if (build.status !== 0 || !existsSync(built)) {
      throw new Error(
        `building the bench's open-loop generator failed: \`${go} install ${VEGETA_MODULE}\` (${build.error?.message ?? `exit ${build.status}`}): ${`${build.stdout}${build.stderr}`.trim()}\n` +
          `It needs ${GO_INSTALL} and the Go module proxy (GOPROXY) within reach; ${OR_NODE}`,
      );
    }
    renameSync(built, vegetaPath);
    return vegetaPath;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
