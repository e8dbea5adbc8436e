/**
 * Builds what the package ships: dist/index.js (esbuild, ESM, browser- and Node-safe; @trpc/* and ws
 * stay dependencies) and dist/index.d.ts, one declaration file with the server's API types inlined
 * by rollup-plugin-dts, so a consumer needs neither the server's source nor its dependencies.
 */
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.dirname(fileURLToPath(import.meta.url));
const distDir = path.join(packageDir, 'dist');
const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
/** What a consumer installs with the package; everything else must be inlined. */
const dependencies = Object.keys(manifest.dependencies ?? {});
const isDependency = (id) => dependencies.some((name) => id === name || id.startsWith(`${name}/`));

rmSync(distDir, { recursive: true, force: true });
mkdirSync(distDir, { recursive: true });

await build({
  entryPoints: [path.join(packageDir, 'src/index.ts')],
  outfile: path.join(distDir, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
  external: dependencies.flatMap((name) => [name, `${name}/*`]),
});

const bundle = await rollup({
  input: path.join(packageDir, 'src/index.ts'),
  // Our own modules and workspace packages (@modeldock/*) are followed and inlined; every other
  // package stays an import, and the check below fails the build if one a consumer lacks is left.
  external: (id) => !id.startsWith('.') && !path.isAbsolute(id) && !id.startsWith('@modeldock/'),
  plugins: [
    dts({
      respectExternal: true,
      tsconfig: path.join(packageDir, 'tsconfig.json'),
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true },
    }),
  ],
  onwarn(warning, warn) {
    if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning);
  },
});
await bundle.write({ file: path.join(distDir, 'index.d.ts'), format: 'es' });
await bundle.close();

/** Any import left in the declarations must be one the consumer installs. */
const declarations = readFileSync(path.join(distDir, 'index.d.ts'), 'utf8');
const imported = [...declarations.matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)].map(
  (m) => m[1],
);
const stray = [...new Set(imported.filter((id) => !isDependency(id)))];
if (stray.length > 0) {
  console.error(
    `build: dist/index.d.ts imports ${stray.join(', ')}, which the package does not depend on`,
  );
  process.exit(1);
}
console.log(
  `build: wrote dist/index.js and dist/index.d.ts (${declarations.length} characters of types)`,
);
