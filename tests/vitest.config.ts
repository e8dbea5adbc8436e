import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The test tiers, fastest first (tests/README.md says what belongs where). `pnpm test` runs them
 * all; `pnpm test:unit` (or `--project <name>`) runs one.
 */
const TIERS: Record<string, string[]> = {
  /**
   * The engine with fakes and the server's modules in-process: no database, no child process, no
   * real byte transfer (`tests/engine/transfer` is its own tier).
   */
  unit: ['tests/engine', 'tests/server-modules'],
  /** The engine's byte layer against local origins that misbehave on purpose, over real sockets. */
  transfer: ['tests/engine/transfer'],
  /** The web app's logic (pure functions and stores without a browser). */
  web: ['tests/web'],
  /** Stores and engine domains on PGlite, and on PostgreSQL when TEST_DATABASE_URL is set. */
  db: ['tests/db'],
  /** Source resolvers and downloads against fake Hugging Face / Civitai / CDN servers. */
  sources: ['tests/sources'],
  /** The running server (a child process, or the whole app in-process) over HTTP and WebSocket. */
  server: ['tests/e2e'],
  /** The built `modeldock` command against a running server. */
  cli: ['tests/cli'],
  /** The web app in a real browser (Chromium) against a running server. */
  browser: ['tests/browser'],
  /** The bench's own tooling. */
  bench: ['tests/bench'],
};

const tierFolders = Object.values(TIERS).flat();

/** Folders of other tiers inside this tier's folders (the transfer tier inside the engine's). */
function nestedTierFolders(folders: string[]): string[] {
  return tierFolders.filter(
    (other) => !folders.includes(other) && folders.some((folder) => other.startsWith(`${folder}/`)),
  );
}

function tier(
  name: string,
  include: string[],
  exclude: string[] = [],
  options: Partial<TestProjectInlineConfiguration['test']> = {},
): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: { name, include, exclude: ['**/node_modules/**', ...exclude], ...options },
  };
}

export default defineConfig({
  test: {
    root,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one file per core keeps spawned servers from starving each other.
    maxWorkers: 2,
    projects: [
      ...Object.entries(TIERS).map(([name, folders]) =>
        tier(
          name,
          folders.map((folder) => `${folder}/**/*.test.ts`),
          nestedTierFolders(folders).map((folder) => `${folder}/**`),
          // The fast tier loads the engine once per worker instead of once per file.
          name === 'unit' ? { isolate: false } : {},
        ),
      ),
      // A test in a folder no tier names still runs with everything (and shows up as `other`).
      tier(
        'other',
        ['tests/**/*.test.ts'],
        tierFolders.map((folder) => `${folder}/**`),
      ),
    ],
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
