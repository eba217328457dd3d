// The suites under test/: end to end (test/e2e: the real stack — PM2 clusters behind nginx — under
// load) and the root scripts' own (test/scripts). They run after the workspace suites and one at a time, so their load never shares the two cores with
// the timing-sensitive suites, nor they with each other (`npm test` runs both configs).
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts', '<rootDir>/test/scripts/**/*.test.ts'],
  testTimeout: 60_000,
  maxWorkers: 1,
};
