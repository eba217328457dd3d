import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths.ts';

export const ecosystemFile = path.join(repoRoot, 'ecosystem.config.js');
const pm2Bin = path.join(repoRoot, 'node_modules', 'pm2', 'bin', 'pm2');
const binDir = path.join(repoRoot, 'node_modules', '.bin');

/** One process as `pm2 jlist` describes it. */
export interface Pm2Process {
  name: string;
  pid: number;
  pm_id: number;
  pm2_env: { status: string; restart_time: number; exec_mode: string; pmx_module?: boolean; pm_uptime?: number };
}

/**
 * Runs the project's PM2 CLI with this Node (24). node_modules/.bin leads PATH, so PM2's daemon,
 * and the cluster workers it forks, run Node 24 too. `home` sets PM2_HOME (tests use their own).
 */
export function pm2(args: string[], options: { home?: string; env?: NodeJS.ProcessEnv; inherit?: boolean } = {}): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
  if (options.home) env.PM2_HOME = options.home;
  return spawnSync(process.execPath, [pm2Bin, ...args], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    stdio: options.inherit ? 'inherit' : 'pipe',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Like pm2() but throws with PM2's output when the command fails. */
export function pm2OrThrow(args: string[], options: { home?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const run = pm2(args, options);
  if (run.status !== 0) throw new Error(`pm2 ${args.join(' ')} failed (${run.status}): ${`${run.stdout}${run.stderr}`.trim().slice(-2_000)}`);
  return run.stdout;
}

/** Every process PM2 manages (apps and modules). Empty when no daemon runs. */
export function pm2List(options: { home?: string } = {}): Pm2Process[] {
  const run = pm2(['jlist'], options);
  if (run.status !== 0) return [];
  // jlist may print daemon start-up lines before the JSON.
  const start = run.stdout.indexOf('[');
  if (start === -1) return [];
  return JSON.parse(run.stdout.slice(start)) as Pm2Process[];
}
