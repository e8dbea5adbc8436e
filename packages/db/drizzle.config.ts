/** drizzle-kit: `pnpm --filter @modeldock/db generate` writes a migration for every schema change. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
});
