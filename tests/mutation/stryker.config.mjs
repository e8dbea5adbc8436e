// @ts-check
/**
 * Mutation testing of the engine's safety-critical modules: the code that decides whether a file is
 * safe to resume, where it may be written, whether it is a model, whether Authorization may follow a
 * redirect, which addresses may be reached and when bytes count as durable.
 * Run from the repository root: `pnpm test:mutation` (tests/mutation/run-mutation.mjs), which
 * also holds each module to its own threshold.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'packages/engine/src/transfer/resume-plan.ts',
    'packages/engine/src/http/content-range.ts',
    'packages/engine/src/paths/confine-path.ts',
    'packages/engine/src/paths/sanitize-file-name.ts',
    'packages/engine/src/http/retry-policy.ts',
    'packages/engine/src/verify/format-check.ts',
    'packages/engine/src/http/follow-redirects.ts',
    'packages/engine/src/http/address-guard.ts',
    'packages/engine/src/transfer/durable-sync.ts',
  ],
  testRunner: 'vitest',
  // pnpm keeps plugins out of the core's folder, where Stryker looks for them by default.
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'tests/mutation/vitest.config.ts', related: false },
  coverageAnalysis: 'perTest',
  // Mutants in module-level tables (the address guard's subnet list, extension sets, dtype sizes)
  // run before any test, so each would need the whole suite with a fresh module graph: 5 % of the
  // mutants, 42 % of the time. They are left out (listed as "excluded"); the tables are covered by
  // explicit tests of their entries.
  ignoreStatic: true,
  // Only what the focused suite needs is copied into the sandbox.
  ignorePatterns: ['/apps', '/docs', '**/dist', '**/build', '**/.svelte-kit', '**/.turbo', 'tests/coverage', 'reports'],
  concurrency: 2,
  // A mutant that makes a test loop (a read that never ends) counts as caught after this much extra.
  timeoutMS: 5_000,
  thresholds: { high: 95, low: 90, break: 90 },
  reporters: ['clear-text', 'json', 'progress-append-only'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowEmojis: false, logTests: false },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
