import { spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { jarPath, packageDir } from './paths.ts';

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

/** True when the jar is missing or older than its sources. */
export function jarIsStale(): boolean {
  return !existsSync(jarPath) || statSync(jarPath).mtimeMs < newestSourceMtime();
}

/** Builds the stand-in jar with Maven when it is missing or stale. Throws with Maven's output on failure. */
export function ensureJar(log: (line: string) => void = () => {}): string {
  if (!jarIsStale()) return jarPath;
  log('building the MongoDB stand-in (mongo-java-server) with Maven…');
  const result = spawnSync('mvn', ['-q', '-B', 'package', '-DskipTests'], {
    cwd: packageDir,
    encoding: 'utf8',
  });
  if (result.error) throw new Error(`cannot run mvn (is Maven installed?): ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`mvn package failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return jarPath;
}

if (import.meta.main) {
  ensureJar(console.log);
  console.log(jarPath);
}
