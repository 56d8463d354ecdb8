import { defineConfig } from 'vitest/config';

// Integration suites run once per database engine; the project name says which.
const shared = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'unit', include: ['src/**/*.test.ts'] } },
      { test: { ...shared, name: 'cli', include: ['test/cli/**/*.test.ts'] } },
      { test: { ...shared, name: 'sqlite', include: ['test/integration/**/*.test.ts'], env: { LATCHKEY_TEST_ENGINE: 'sqlite' } } },
      { test: { ...shared, name: 'postgres', include: ['test/integration/**/*.test.ts'], env: { LATCHKEY_TEST_ENGINE: 'postgres' } } },
      { test: { ...shared, name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 60_000 } },
    ],
  },
});
