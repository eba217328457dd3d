export { ensureJar, jarIsStale } from './build-jar.ts';
export { jarPath } from './paths.ts';
export { startStandin, type RunningStandin, type StandinOptions } from './start-standin.ts';
