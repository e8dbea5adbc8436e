/**
 * Builds dist/main.js: src/main.ts and the workspace packages it uses (@modeldock/*) bundled into
 * one ESM file for Node 20; third-party packages stay external and load from node_modules.
 * The database migrations are copied to dist/drizzle, where main.ts finds them.
 * Fails when an external import cannot be resolved from dist/, so a missing dependency shows up
 * here rather than at a user's first start.
 */
import { build } from 'esbuild';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const serverDir = path.dirname(fileURLToPath(import.meta.url));
const distDir = path.join(serverDir, 'dist');
const migrationsSource = path.join(serverDir, '../../packages/db/drizzle');

/** Bundles our own packages, leaves every other bare import (and node: builtins) to node_modules. */
const externalizeThirdParty = {
  name: 'externalize-third-party',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@modeldock/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

rmSync(distDir, { recursive: true, force: true });

const result = await build({
  entryPoints: [path.join(serverDir, 'src/main.ts')],
  outfile: path.join(distDir, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [externalizeThirdParty],
});

/** Node's lookup for a bare import: node_modules/<name> in dist/ or any folder above it. */
function isInstalledFor(directory, name) {
  for (let current = directory; ; current = path.dirname(current)) {
    if (existsSync(path.join(current, 'node_modules', name, 'package.json'))) return true;
    if (path.dirname(current) === current) return false;
  }
}

const unresolved = [];
for (const output of Object.values(result.metafile.outputs)) {
  for (const imported of output.imports) {
    if (
      !imported.external ||
      imported.path.startsWith('node:') ||
      builtinModules.includes(imported.path)
    )
      continue;
    const name = packageNameOf(imported.path);
    if (!isInstalledFor(distDir, name)) unresolved.push(name);
  }
}
if (unresolved.length > 0) {
  console.error(
    `build: ${[...new Set(unresolved)].join(', ')} cannot be found from apps/server/dist. ` +
      'Add them to apps/server/package.json dependencies (pnpm --filter @modeldock/server add <name>@catalog:).',
  );
  process.exit(1);
}

if (existsSync(migrationsSource)) {
  cpSync(migrationsSource, path.join(distDir, 'drizzle'), { recursive: true });
} else {
  console.error(
    `build: no migrations at ${migrationsSource}; run pnpm --filter @modeldock/db generate`,
  );
  process.exit(1);
}

console.log(
  `build: wrote ${path.relative(process.cwd(), path.join(distDir, 'main.js'))} and its migrations`,
);
