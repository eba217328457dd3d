import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { childrenOf, cpuMs, cpuSnapshot, findPid, rssBytes, rssPeakSampler } from '../../scripts/bench/process-stats.ts';

// Far above any pid Linux hands out (pid_max is at most 2^22).
const GONE = 2 ** 22 + 12_345;
const MARKER = `bench-stats-${randomUUID()}`;

let child: ChildProcess;

beforeAll(async () => {
  // A child that idles, named by a unique argument so findPid can tell it from everything else.
  child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', MARKER], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
});

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
});

/** Burns some CPU so this process has used a measurable amount. */
function burn(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
}

describe('process-stats (scripts/bench/process-stats.ts, Linux /proc)', () => {
  it('when this process is read, then its CPU time is positive and agrees with process.cpuUsage within a few ticks', () => {
    burn(150);
    const before = process.cpuUsage();
    const fromProc = cpuMs(process.pid);
    const after = process.cpuUsage();
    expect(fromProc).toBeGreaterThan(0);
    // /proc counts in 10 ms ticks; allow a few of them either side.
    expect(fromProc).toBeGreaterThanOrEqual((before.user + before.system) / 1_000 - 50);
    expect(fromProc).toBeLessThanOrEqual((after.user + after.system) / 1_000 + 50);
  });

  it('when this process is read, then its RSS is positive and near what Node reports', () => {
    const fromProc = rssBytes(process.pid);
    const rss = process.memoryUsage().rss;
    expect(fromProc).toBeGreaterThan(0);
    expect(fromProc % 4096).toBe(0);
    expect(fromProc).toBeGreaterThan(rss / 2);
    expect(fromProc).toBeLessThan(rss * 2);
  });

  it('when the pid does not exist, then CPU and RSS are 0', () => {
    expect(cpuMs(GONE)).toBe(0);
    expect(rssBytes(GONE)).toBe(0);
    expect(childrenOf(GONE)).toEqual([]);
  });

  it('when a child was spawned, then childrenOf lists it, and not the other way round', () => {
    expect(childrenOf(process.pid)).toContain(child.pid);
    expect(childrenOf(child.pid!)).not.toContain(process.pid);
  });

  it('when a command line carries a unique argument, then findPid finds that process (not this one)', async () => {
    // The child may still be between fork and exec for a moment.
    let found: number | null = null;
    for (let i = 0; i < 50 && found === null; i++) {
      found = findPid(new RegExp(MARKER));
      if (found === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(found).toBe(child.pid);
    expect(findPid(new RegExp(`${MARKER}-nobody-has-this`))).toBeNull();
  });

  it('when a snapshot is taken by role, then each role sums its pids and a gone pid adds 0', () => {
    burn(30);
    const snapshot = cpuSnapshot({ app: [process.pid, GONE], edge: [GONE] });
    expect(Object.keys(snapshot).sort()).toEqual(['app', 'edge']);
    expect(snapshot.app).toBeGreaterThan(0);
    expect(snapshot.edge).toBe(0);
  });

  it('when the RSS sampler runs, then its peak is the summed RSS of the app pids and 0 for an empty edge', async () => {
    const sampler = rssPeakSampler({ app: [process.pid, child.pid!], edge: [] }, 20);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const peak = sampler.stop();
    // Both processes count: more than either alone (each is tens of MB).
    expect(peak.app).toBeGreaterThan(rssBytes(child.pid!));
    expect(peak.app).toBeGreaterThan(rssBytes(process.pid) / 2 + rssBytes(child.pid!));
    expect(peak.edge).toBe(0);
  });
});
