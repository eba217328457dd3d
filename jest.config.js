// Tests run as native ES modules (the code uses import.meta); swc strips the types.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  // The end-to-end suites (test/e2e) run afterwards, on their own: jest.e2e.config.js.
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/services/*/test/**/*.test.ts', '<rootDir>/storefront/test/**/*.test.ts'],
  globalSetup: '<rootDir>/scripts/test-env/global-setup.ts',
  globalTeardown: '<rootDir>/scripts/test-env/global-teardown.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
};
