import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runDir } from './paths.ts';

export const ecosystemFile = path.join(repoRoot, 'ecosystem.config.js');
const pm2Bin = path.join(repoRoot, 'node_modules', 'pm2', 'bin', 'pm2');
const binDir = path.join(repoRoot, 'node_modules', '.bin');
/**
 * The project's own PM2 home: its daemon (on Node 24) manages only this checkout's services, so
 * `npm stop` can end it without touching anyone's other PM2 apps. `npm run pm2 -- …` uses it too.
 */
export const projectPm2Home = path.join(runDir, 'pm2');

/** One process as `pm2 jlist` describes it. */
export interface Pm2Process {
  name: string;
  pid: number;
  pm_id: number;
  pm2_env: {
    status: string;
    restart_time: number;
    exec_mode: string;
    pmx_module?: boolean;
    pm_uptime?: number;
    /** The custom metrics the process reports through @pm2/io (what `pm2 monit` shows), by name. */
    axm_monitor?: Record<string, { value?: unknown }>;
  };
}

/**
 * Runs the project's PM2 CLI with this Node (24). node_modules/.bin leads PATH, so PM2's daemon,
 * and the cluster workers it forks, run Node 24 too. `home` is PM2_HOME: the project's own
 * (.run/pm2) unless given (the end-to-end tests use theirs).
 */
export function pm2(args: string[], options: { home?: string; env?: NodeJS.ProcessEnv; inherit?: boolean; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [pm2Bin, ...args], {
    cwd: repoRoot,
    env: pm2Env(options),
    encoding: 'utf8',
    stdio: options.inherit ? 'inherit' : 'pipe',
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs,
  });
}

/** The environment PM2 runs in: node_modules/.bin first on PATH, and its home. */
function pm2Env(options: { home?: string; env?: NodeJS.ProcessEnv }): NodeJS.ProcessEnv {
  return { ...process.env, ...options.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`, PM2_HOME: options.home ?? projectPm2Home };
}

/** pm2() without blocking the event loop (a load generator in the same process keeps running); rejects with PM2's output on failure. */
export function pm2Async(args: string[], options: { home?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pm2Bin, ...args], { cwd: repoRoot, env: pm2Env(options), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`pm2 ${args.join(' ')} exited ${code}: ${output.slice(-2_000)}`))));
  });
}

/** Like pm2() but throws with PM2's output when the command fails. */
export function pm2OrThrow(args: string[], options: { home?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const run = pm2(args, options);
  if (run.status !== 0) throw new Error(`pm2 ${args.join(' ')} failed (${run.status}): ${`${run.stdout}${run.stderr}`.trim().slice(-2_000)}`);
  return run.stdout;
}

/** True when the PM2 daemon of `home` is running (its pid file names a live process). */
export function pm2DaemonRunning(home = projectPm2Home): boolean {
  const pidFile = path.join(home, 'pm2.pid');
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process PM2 manages (apps and modules). Empty when no daemon runs (none is started to ask). */
export function pm2List(options: { home?: string } = {}): Pm2Process[] {
  if (!pm2DaemonRunning(options.home)) return [];
  const run = pm2(['jlist'], options);
  return run.status === 0 ? processesFromJlist(run.stdout) : [];
}

/** pm2List() without blocking the event loop (a load generator in the same process keeps running). */
export async function pm2ListAsync(options: { home?: string } = {}): Promise<Pm2Process[]> {
  if (!pm2DaemonRunning(options.home)) return [];
  return processesFromJlist(await pm2Async(['jlist'], options));
}

/** The processes in `pm2 jlist` output: the JSON is the last line; anything PM2 says before it is not. */
function processesFromJlist(output: string): Pm2Process[] {
  const last = output.trim().split('\n').at(-1) ?? '';
  return last.startsWith('[') ? (JSON.parse(last) as Pm2Process[]) : [];
}
