// The stand-in's own JUnit tests (src/test/java), run by Maven: the Java side of issue 24's work
// (indexes, explain) is tested there, through the wire protocol with the Java driver. This suite
// runs them in every `npm test` and fails with Maven's output when any fails or none ran.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { packageDir } from '../src/paths.ts';

const REPORTS = path.join(packageDir, 'target', 'surefire-reports');

/** Each test class's "Tests run: N, Failures: F, Errors: E, Skipped: S" line from surefire. */
function surefireTotals(): { classes: number; run: number; failures: number; errors: number; skipped: number } {
  const totals = { classes: 0, run: 0, failures: 0, errors: 0, skipped: 0 };
  for (const file of readdirSync(REPORTS).filter((name) => name.endsWith('.txt'))) {
    const match = /Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)/.exec(readFileSync(path.join(REPORTS, file), 'utf8'));
    if (!match) continue;
    totals.classes++;
    totals.run += Number(match[1]);
    totals.failures += Number(match[2]);
    totals.errors += Number(match[3]);
    totals.skipped += Number(match[4]);
  }
  return totals;
}

describe('the stand-in’s JUnit tests (packages/mongo-standin/src/test/java)', () => {
  it('when Maven runs them, then every one passes and none is skipped', () => {
    rmSync(REPORTS, { recursive: true, force: true });
    const mvn = spawnSync('mvn', ['-q', '-B', 'test'], { cwd: packageDir, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
    const output = `${mvn.stdout ?? ''}${mvn.stderr ?? ''}`;
    if (mvn.status !== 0) throw new Error(`mvn test failed (${mvn.error?.message ?? `exit ${mvn.status}`}):\n${output}`);
    expect(existsSync(REPORTS)).toBe(true);
    const totals = surefireTotals();
    console.log(`[standin-junit] ${totals.classes} test classes, ${totals.run} tests run, ${totals.failures} failures, ${totals.errors} errors, ${totals.skipped} skipped`);
    expect(totals.run).toBeGreaterThanOrEqual(4);
    expect({ failures: totals.failures, errors: totals.errors, skipped: totals.skipped }).toEqual({ failures: 0, errors: 0, skipped: 0 });
  }, 620_000);
});
