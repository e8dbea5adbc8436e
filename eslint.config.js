import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ENGINE_PURITY = {
  group: [
    '@trpc/*',
    'drizzle-orm*',
    '@modeldock/db',
    '@modeldock/server',
    'postgres',
    '@electric-sql/*',
  ],
  message: 'the engine stays pure: it receives its stores and clients as ports',
};

/** An import of a top-level engine folder from elsewhere in the engine: `./jobs/x`, `../../jobs`. */
function folderImport(folder, except = '') {
  return `^(\\.\\.?/)+${folder}(/${except}|$)`;
}

function engineLayers() {
  const src = 'packages/engine/src';
  const above = (folders, why) =>
    folders.map((folder) => ({
      regex: folderImport(folder),
      message: `${why} (${folder}/ is above it)`,
    }));
  const layer = (files, patterns, ignores = []) => ({
    files,
    ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: [ENGINE_PURITY, ...patterns] }] },
  });
  const buildingBlocks = [
    'clock',
    'fs',
    'secrets',
    'paths',
    'http',
    'verify',
    'model-format',
    'placement',
    'tasks',
    'transfer',
  ];
  const domains = ['sources', 'library', 'metadata', 'workers'];
  // Domains that drive the download manager from above (through its public API only).
  const aboveJobs = ['collection', 'workflows'];
  return [
    layer([`packages/engine/**/*.ts`], []),
    // The kernel (errors, job model, ports, config, what a download asks for) under everything.
    layer(
      [`${src}/*.ts`],
      above(['jobs', ...aboveJobs], 'the kernel never imports a layer above it'),
      [`${src}/index.ts`],
    ),
    layer(
      buildingBlocks.map((folder) => `${src}/${folder}/**/*.ts`),
      above(
        [...domains, 'jobs', ...aboveJobs],
        'a building block never imports a domain or the job layer',
      ),
    ),
    layer(
      domains.map((folder) => `${src}/${folder}/**/*.ts`),
      above(
        ['jobs', ...aboveJobs],
        'sources/, library/, metadata/ and workers/ never import the job layer',
      ),
    ),
    layer([`${src}/jobs/**/*.ts`], above(aboveJobs, 'the job layer never imports what drives it')),
    layer(
      aboveJobs.map((folder) => `${src}/${folder}/**/*.ts`),
      [
        {
          regex: folderImport('jobs', '(?!download-manager-api$)'),
          message: 'above the job layer, jobs/ is used through jobs/download-manager-api only',
        },
      ],
    ),
  ];
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/build/**',
      '**/.svelte-kit/**',
      '**/coverage/**',
      'packages/db/drizzle/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Sanitising names and inputs means matching control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser },
    },
  },
  // The engine stays pure (no server, database or API framework inside it), and its folders are
  // layered (docs/architecture.md, "The engine's layers"): a folder imports from its own layer and
  // the layers below, never from one above. Each block repeats the purity patterns because a later
  // block's options replace an earlier one's for the same rule.
  ...engineLayers(),
  {
    // The web app talks to the server through the typed router only.
    files: ['apps/web/**/*.ts', 'apps/web/**/*.svelte'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@modeldock/server', '@modeldock/server/*'],
              allowTypeImports: true,
              message: 'import type only',
            },
            {
              group: ['@modeldock/engine', '@modeldock/db'],
              message: 'the web app uses the API, not the engine or database',
            },
          ],
        },
      ],
    },
  },
);
