/**
 * Builds dist/main.js: src/main.ts and the workspace packages it uses (@modeldock/*) bundled into
 * one ESM file for Node 20; third-party packages stay external and load from node_modules.
 * The database migrations are copied to dist/drizzle, where main.ts finds them.
 * Fails when an external import cannot be resolved from dist/, so a missing dependency shows up
 * here rather than at a user's first start.
 */
import { build } from 'esbuild';
import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const serverDir = path.dirname(fileURLToPath(import.meta.url));
const distDir = path.join(serverDir, 'dist');
// Built beside dist/ and swapped in at the end, so a server being started meanwhile never sees half a build.
const stagingDir = path.join(serverDir, '.dist-next');
const retiredDir = path.join(serverDir, '.dist-old');
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

rmSync(stagingDir, { recursive: true, force: true });

/** Leaves no half build behind: the staging folder goes, dist/ stays as it was. */
function failBuild(message) {
  rmSync(stagingDir, { recursive: true, force: true });
  console.error(`build: ${message}`);
  process.exit(1);
}

const result = await build({
  entryPoints: [path.join(serverDir, 'src/main.ts')],
  outfile: path.join(stagingDir, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [externalizeThirdParty],
}).catch((error) => failBuild(error.message));

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
    if (!isInstalledFor(stagingDir, name)) unresolved.push(name);
  }
}
if (unresolved.length > 0) {
  failBuild(
    `${[...new Set(unresolved)].join(', ')} cannot be found from apps/server/dist. ` +
      'Add them to apps/server/package.json dependencies (pnpm --filter @modeldock/server add <name>@catalog:).',
  );
}

if (!existsSync(migrationsSource)) {
  failBuild(`no migrations at ${migrationsSource}; run pnpm --filter @modeldock/db generate`);
}
cpSync(migrationsSource, path.join(stagingDir, 'drizzle'), { recursive: true });

rmSync(retiredDir, { recursive: true, force: true });
if (existsSync(distDir)) renameSync(distDir, retiredDir);
renameSync(stagingDir, distDir);
rmSync(retiredDir, { recursive: true, force: true });

console.log(
  `build: wrote ${path.relative(process.cwd(), path.join(distDir, 'main.js'))} and its migrations`,
);
