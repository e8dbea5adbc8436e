import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
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
  {
    // The engine stays pure: no server, database or API framework inside it.
    files: ['packages/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@trpc/*', 'drizzle-orm*', '@modeldock/db', '@modeldock/server', 'postgres', '@electric-sql/*'] },
      ],
    },
  },
  {
    // The web app talks to the server through the typed router only.
    files: ['apps/web/**/*.ts', 'apps/web/**/*.svelte'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@modeldock/server', '@modeldock/server/*'], allowTypeImports: true, message: 'import type only' },
            { group: ['@modeldock/engine', '@modeldock/db'], message: 'the web app uses the API, not the engine or database' },
          ],
        },
      ],
    },
  },
);
