import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** Local data that survives restarts (the stand-in's H2 file). Git-ignored. */
export const dataDir = path.join(repoRoot, '.data');
/** Logs and pid files of processes the scripts start. Git-ignored. */
export const runDir = path.join(repoRoot, '.run');

export function ensureDirs(): void {
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(runDir, { recursive: true });
}
