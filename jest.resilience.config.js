// The reliability and security suite (issue R9, `npm run test:resilience`; `npm test` runs it
// last, with the short memory soak): the real stack under faults, hostile input and load. One
// suite at a time: each starts its own PM2 cluster and nginx, several break their own Redis or
// MongoDB-wire server, and their timing claims need the two cores to themselves.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/resilience/**/*.test.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
};
