import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  test: {
    root,
    include: ['tests/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one file per core keeps spawned servers from starving each other.
    maxWorkers: 2,
    reporters: ['default', './tests/support/summary-reporter.ts'],
    coverage: {
      enabled: true,
      provider: 'v8',
      include: ['packages/engine/src/**/*.ts'],
      exclude: ['**/*-api.ts', 'packages/engine/src/index.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'tests/coverage',
      thresholds: { lines: 90 },
    },
  },
});
