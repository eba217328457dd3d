import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runDir } from './paths.ts';
import { aliveAs } from './processes.ts';

/** What `npm start` started (and so what `npm stop` stops); servers it found running are not here. */
export interface StackState {
  /** The MongoDB stand-in process. */
  standinPid?: number;
  redisPid?: number;
  /** The pid file of an nginx master this stack started. */
  nginxPidFile?: string;
  /** The services run under PM2 (in the default PM2_HOME). */
  pm2?: boolean;
}

const file = path.join(runDir, 'stack.json');

export function readStack(): StackState {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return {};
  }
}

export function writeStack(state: StackState): void {
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function clearStack(): void {
  rmSync(file, { force: true });
}

/** The recorded processes that are still what they were; stale entries are dropped. */
export function liveStack(state: StackState): StackState {
  const live: StackState = { ...state };
  if (!aliveAs(live.standinPid, 'mongo-standin')) delete live.standinPid;
  if (!aliveAs(live.redisPid, 'redis-server')) delete live.redisPid;
  return live;
}
