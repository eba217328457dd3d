export { ensureJar, jarIsStale } from './build-jar.ts';
export { jarPath, runJarPath } from './paths.ts';
export { startStandin, type RunningStandin, type StandinOptions } from './start-standin.ts';
