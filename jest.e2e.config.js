// The end-to-end suites (test/e2e): the real stack — PM2 clusters behind nginx — under load. They
// run after the other suites and one at a time, so their load never shares the two cores with
// the timing-sensitive suites, nor they with each other (`npm test` runs both configs).
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
  maxWorkers: 1,
};
