/** Rewrites the settings tables in README.md and apps/server/README.md from the declarations. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mainSettingsTable, serverSettingsTable, withTable } from '../src/settings/settings-tables';

const tables = [
  ['../../../README.md', mainSettingsTable()],
  ['../README.md', serverSettingsTable()],
] as const;

for (const [relative, table] of tables) {
  const file = fileURLToPath(new URL(relative, import.meta.url));
  writeFileSync(file, withTable(readFileSync(file, 'utf8'), table));
  process.stdout.write(`wrote the settings table in ${file}\n`);
}
