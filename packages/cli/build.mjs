/**
 * Builds dist/modeldock.js: the command and everything it uses (@modeldock/client, @trpc/*, ws,
 * commander, cli-progress) bundled into one ESM file for Node 20, so the packed tarball installs
 * with `npm i -g` without fetching anything, and cannot drift from the client it was built with.
 */
import { build } from 'esbuild';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.dirname(fileURLToPath(import.meta.url));
const distDir = path.join(packageDir, 'dist');
const outfile = path.join(distDir, 'modeldock.js');

rmSync(distDir, { recursive: true, force: true });
mkdirSync(distDir, { recursive: true });

await build({
  entryPoints: [path.join(packageDir, 'src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  legalComments: 'linked',
  logLevel: 'warning',
  // ws loads these native speed-ups when present and works without them.
  external: ['bufferutil', 'utf-8-validate'],
  banner: {
    // CommonJS packages inside an ESM bundle still call require() for Node's own modules.
    js: "#!/usr/bin/env node\nimport { createRequire as __modeldockCreateRequire } from 'node:module';\nconst require = __modeldockCreateRequire(import.meta.url);",
  },
});
chmodSync(outfile, 0o755);
console.log('build: wrote dist/modeldock.js');
