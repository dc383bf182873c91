import type { Config } from 'jest';

// RXMQTT_TIMEOUT_SCALE multiplies every wall-clock deadline in the suite (see spec/helpers/wait.ts,
// which parses it the same way and rejects a bad value there).
const timeoutScale = Number(process.env.RXMQTT_TIMEOUT_SCALE ?? 1) || 1;

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
  // Jest's own deadline only turns a hang into a failure; no test is meant to come near it. It is
  // generous (120 s) because a test doing real network or process work can take many times its
  // idle duration on a loaded 2-core machine (`npm run test:stress`), and it stays above the
  // helpers' 30 s deadline (HANG_DEADLINE_MS) so a hang fails with the helper's message, which
  // says what was awaited. Tests doing much more work set their own, scaled the same way.
  testTimeout: Math.round(120_000 * timeoutScale),
  // Network tests use loopback and real brokers; two workers fit the 2-core machines.
  maxWorkers: 2,
};

export default config;
