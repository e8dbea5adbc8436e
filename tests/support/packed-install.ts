/**
 * Installs packed workspace packages (`pnpm pack` tarballs) into a fresh project in the temp folder,
 * outside the workspace, the way a user's `npm install ./x.tgz` does, without the network: the
 * packages' declared dependencies (and theirs) are copied first from the workspace's own
 * node_modules, which `pnpm install --frozen-lockfile` filled, then `npm install --offline` adds
 * the tarballs. Only what a package declares is there, so a missing dependency fails here.
 */
import { execFile } from 'node:child_process';
import {
  cp,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  realpath,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './server-process';

const run = promisify(execFile);

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bin?: string | Record<string, string>;
}

async function manifestOf(packageDir: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as Manifest;
}

/** Node's lookup of a bare name from a folder: node_modules/<name> here or in any folder above. */
function findInstalled(fromDir: string, name: string): string | null {
  for (let current = fromDir; ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(current) === current) return null;
  }
}

/** Runs `pnpm pack` in a workspace package; returns the tarball's path. */
export async function packWorkspacePackage(
  packageDir: string,
  destination: string,
): Promise<string> {
  const manifest = await manifestOf(packageDir);
  await run('pnpm', ['pack', '--pack-destination', destination], { cwd: packageDir });
  const fileName = `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
  const tarball = path.join(destination, fileName);
  if (!existsSync(tarball)) throw new Error(`pnpm pack did not write ${tarball}`);
  return tarball;
}

/**
 * Copies `names` (as resolved from `fromDir`) and everything they depend on into
 * `projectDir/node_modules`, flat. Workspace packages (@modeldock/*) are skipped: they come as tarballs.
 */
async function copyDependencies(
  projectDir: string,
  fromDir: string,
  names: string[],
  copied = new Map<string, string>(),
): Promise<Map<string, string>> {
  const pending = names.map((name) => ({ name, fromDir }));
  while (pending.length > 0) {
    const { name, fromDir: from } = pending.pop()!;
    if (copied.has(name) || name.startsWith('@modeldock/')) continue;
    const found = findInstalled(from, name);
    if (!found) throw new Error(`${name} is not installed in the workspace (from ${from})`);
    const real = await realpath(found);
    const manifest = await manifestOf(real);
    copied.set(name, manifest.version);
    await cp(real, path.join(projectDir, 'node_modules', name), {
      recursive: true,
      dereference: true,
    });
    await linkCommands(projectDir, name, manifest);
    const required = Object.keys(manifest.dependencies ?? {});
    const peers = Object.keys(manifest.peerDependencies ?? {}).filter(
      (peer) => !manifest.peerDependenciesMeta?.[peer]?.optional && findInstalled(real, peer),
    );
    for (const dependency of [...required, ...peers])
      pending.push({ name: dependency, fromDir: real });
  }
  return copied;
}

/** node_modules/.bin links, as npm makes them: without them npm takes the package for broken and refetches it. */
async function linkCommands(projectDir: string, name: string, manifest: Manifest): Promise<void> {
  if (!manifest.bin) return;
  const commands =
    typeof manifest.bin === 'string' ? { [name.split('/').pop()!]: manifest.bin } : manifest.bin;
  const binDir = path.join(projectDir, 'node_modules', '.bin');
  await mkdir(binDir, { recursive: true });
  for (const [command, target] of Object.entries(commands)) {
    await symlink(path.join('..', name, target), path.join(binDir, command));
  }
}

export interface OfflineProject {
  dir: string;
  /** The tarballs' packages installed; `bin` holds their commands. */
  bin: string;
}

export interface OfflineInstallOptions {
  /** Tarballs to install, with the workspace folders they were packed from (to find their dependencies). */
  packages: { tarball: string; packageDir: string }[];
  /** Extra packages for the project itself (e.g. @types/node for a type check), found from the repo root. */
  devPackages?: string[];
}

export async function installOffline(options: OfflineInstallOptions): Promise<OfflineProject> {
  const dir = await mkdtemp(path.join(tmpdir(), 'modeldock-consumer-'));
  await mkdir(path.join(dir, 'node_modules'), { recursive: true });
  const copied = new Map<string, string>();
  for (const { packageDir, tarball } of options.packages) {
    const packed = await manifestFromTarball(tarball);
    await copyDependencies(dir, packageDir, Object.keys(packed.dependencies ?? {}), copied);
  }
  const devPackages = options.devPackages ?? [];
  await copyDependencies(dir, path.join(REPO_ROOT, 'tests'), devPackages, copied);
  // Declared, so npm keeps them rather than pruning them as extraneous.
  const devDependencies = Object.fromEntries(devPackages.map((name) => [name, copied.get(name)!]));
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'modeldock-consumer', private: true, type: 'module', devDependencies }),
  );
  await run(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-package-lock',
      ...options.packages.map((entry) => entry.tarball),
    ],
    // A private cache: nothing from the user's npm cache can stand in for a missing package.
    { cwd: dir, env: { ...process.env, npm_config_cache: path.join(dir, '.npm-cache') } },
  );
  return { dir, bin: path.join(dir, 'node_modules', '.bin') };
}

/** The package.json inside a tarball, as `pnpm pack` rewrote it (workspace: ranges resolved). */
async function manifestFromTarball(tarball: string): Promise<Manifest> {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
  return JSON.parse(stdout) as Manifest;
}

/** Lists the files under a folder, for failure messages. */
export async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}
