import type { Config } from 'jest';

// ESM + ts-jest: run with NODE_OPTIONS=--experimental-vm-modules (see package.json "test").
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testTimeout: 20000,
  // Network tests use loopback and real brokers; two workers fit the 2-core machines.
  maxWorkers: 2,
};

export default config;
