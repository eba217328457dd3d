import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { jarPath, packageDir, runJarPath } from './paths.ts';

/**
 * Upper bound for one `mvn package` (the first one downloads Maven plugins and dependencies):
 * 10 minutes, or SHOP_MVN_TIMEOUT_MS.
 */
const MVN_TIMEOUT_MS = Number(process.env.SHOP_MVN_TIMEOUT_MS) || 10 * 60_000;

function newestSourceMtime(): number {
  const files = [path.join(packageDir, 'pom.xml')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(path.join(packageDir, 'src', 'main'));
  return Math.max(...files.map((file) => statSync(file).mtimeMs));
}

/** Copies the built jar to the run path (via a temporary file and an atomic rename) when it differs. */
function publishRunJar(): string {
  const built = statSync(jarPath);
  if (existsSync(runJarPath) && statSync(runJarPath).mtimeMs >= built.mtimeMs && statSync(runJarPath).size === built.size) {
    return runJarPath;
  }
  const temporary = `${runJarPath}.${process.pid}.tmp`;
  copyFileSync(jarPath, temporary);
  renameSync(temporary, runJarPath);
  return runJarPath;
}

/** True when the jar is missing or older than its sources. */
export function jarIsStale(): boolean {
  return !existsSync(jarPath) || statSync(jarPath).mtimeMs < newestSourceMtime();
}

/** Builds the stand-in jar with Maven when it is missing or stale. Throws with Maven's output on failure. */
export function ensureJar(log: (line: string) => void = () => {}): string {
  if (!jarIsStale()) return publishRunJar();
  log('building the MongoDB stand-in (mongo-java-server) with Maven…');
  const result = spawnSync('mvn', ['-q', '-B', 'package', '-DskipTests'], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: MVN_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    throw new Error(
      `mvn package did not finish within ${Math.round(MVN_TIMEOUT_MS / 1000)} s and was stopped ` +
        `(it downloads its plugins and dependencies on the first build: check network access to Maven Central):\n` +
        stripVTControlCharacters(`${result.stdout ?? ''}\n${result.stderr ?? ''}`).trim(),
    );
  }
  if (result.error) {
    throw new Error(
      `cannot run mvn (is Maven installed? Debian: apt-get install maven default-jdk-headless): ${result.error.message}`,
    );
  }
  if (result.status !== 0) {
    throw new Error(`mvn package failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return publishRunJar();
}

if (import.meta.main) {
  ensureJar(console.log);
  console.log(jarPath);
}
