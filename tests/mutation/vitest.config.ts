/**
 * The focused suite StrykerJS runs against each mutant: only the fast tests that exercise the
 * safety-critical modules (see stryker.config.mjs), so one mutant costs milliseconds, not minutes.
 * Files are named by their base name, so moving a test between folders keeps it here.
 */
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export const MUTATION_TEST_FILES = [
  // transfer/resume-plan.ts, http/content-range.ts, http/retry-policy.ts
  'resume-plan',
  'resume-decisions',
  'range-and-retry-headers',
  // paths/
  'file-name-and-folder-limits',
  // verify/format-check.ts
  'format-check',
  'model-bytes-checks',
  // http/follow-redirects.ts, http/address-guard.ts
  'redirect-and-address-rules',
  // transfer/durable-sync.ts
  'durable-sync',
  'durable-before-recorded',
];

export default defineConfig({
  resolve: {
    // Inside Stryker's sandbox the workspace link would lead back to the unmutated sources.
    alias: [
      {
        find: /^@modeldock\/engine\/internal\/(.*)$/,
        replacement: `${root}packages/engine/src/$1`,
      },
      { find: /^@modeldock\/engine$/, replacement: `${root}packages/engine/src/index.ts` },
    ],
  },
  test: {
    root,
    include: [`tests/**/{${MUTATION_TEST_FILES.join(',')}}.test.ts`],
    exclude: ['**/node_modules/**'],
    // Modules stay loaded between mutant runs: Stryker switches mutants through a global at run time.
    isolate: false,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
