import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runDir } from './paths.ts';

/**
 * wrk (a C load generator) driving a list of request paths. Its per-request cost is a fraction
 * of a Node client's, so on a machine the server shares it disturbs the measurement far less.
 * It is closed-loop per connection: with a rate, each connection waits a random delay (mean
 * connections / rate) between its requests, which spreads arrivals like independent clients,
 * but a request due while its connection is still waiting is sent late rather than counted late.
 */

export interface WrkResult {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
}

/** wrk on the PATH, installed from Debian when missing and running as root; null when unavailable. */
export function findWrk(log: (line: string) => void): string | null {
  const found = (): boolean => spawnSync('wrk', ['--version'], { stdio: 'ignore' }).status !== null;
  if (found()) return 'wrk';
  if (process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0) {
    log('installing wrk (apt-get install wrk) for the C-client figures …');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'ignore', env }).status !== 0) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
      spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'ignore', env });
    }
    if (found()) return 'wrk';
  }
  return null;
}

export function runWrk(options: {
  port: number;
  paths: readonly string[];
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  /** Offered requests per second; omitted = as fast as the connections go. */
  rate?: number;
  name: string;
}): WrkResult {
  if (options.rate !== undefined && !(Number.isFinite(options.rate) && options.rate > 0)) throw new Error(`wrk ${options.name}: bad rate ${options.rate}`);
  if (options.paths.some((p) => !/^[\x20-\x7e]*$/.test(p))) throw new Error(`wrk ${options.name}: paths must be printable ASCII (they are written as Lua strings)`);
  const script = path.join(runDir, `wrk-${options.name}.lua`);
  const lines = [
    `local paths = {${options.paths.map((p) => JSON.stringify(p)).join(',')}}`,
    'local i = 0',
    ...Object.entries(options.headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`),
    'request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end',
    // wrk truncates the delay to whole milliseconds: rounding at random keeps the mean right.
    options.rate
      ? `delay = function() local d = ${(1000 * options.connections) / options.rate} * -math.log(1 - math.random()); return math.floor(d + math.random()) end`
      : '',
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("RESULT %d %.1f %.3f %.3f %.3f %.3f %d\\n", summary.requests, summary.requests / (summary.duration / 1e6),',
    '    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,',
    '    e.connect + e.read + e.write + e.timeout + e.status))',
    'end',
  ];
  writeFileSync(script, lines.join('\n'));
  const run = spawnSync(
    'wrk',
    ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, '--timeout', '5s', '-s', script, `http://127.0.0.1:${options.port}`],
    { encoding: 'utf8' },
  );
  const result = /RESULT (\d+) (\S+) (\S+) (\S+) (\S+) (\S+) (\d+)/.exec(run.stdout);
  if (!result) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  const [requests, rps, p50, p95, p99, max, errors] = result.slice(1).map(Number) as [number, number, number, number, number, number, number];
  if (requests === 0) throw new Error(`wrk ${options.name}: no request completed`);
  return { rps, p50, p95, p99, max, errors };
}
