/**
 * @modeldock/client as another project gets it: `pnpm pack`, installed with npm (offline) into a
 * project outside the workspace with only its declared dependencies, the README's example
 * type-checked there with the project's own TypeScript (a misspelled procedure and a wrong field
 * must fail the check) and run against the built server, which requires an access token: the
 * example's progress arrives over the WebSocket, so the token reaches the socket too.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBytes, startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { REPO_ROOT, createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { installOffline, packWorkspacePackage } from '../support/packed-install';
import type { OfflineProject } from '../support/packed-install';
import { sha256OfFile } from './api-client';

const run = promisify(execFile);
const CLIENT_DIR = path.join(REPO_ROOT, 'packages/client');
const ACCESS_TOKEN = 'client-package-test-token-0123456789';

/** The first ```ts block after the README's "## Example" heading. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(CLIENT_DIR, 'README.md'), 'utf8');
  const match = /## Example[^\n]*\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('packages/client/README.md has no ```ts example under "## Example"');
  return match[1]!;
}

const MISSPELLED = `
import { createModeldockClient } from '@modeldock/client';
const client = createModeldockClient({ url: 'http://127.0.0.1:8787' });
await client.downloads.enqueu.mutate({ url: 'https://example.com/a.gguf' });
await client.downloads.enqueue.mutate({ ulr: 'https://example.com/a.gguf' });
`;

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function runNode(
  project: OfflineProject,
  script: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], {
      cwd: project.dir,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('@modeldock/client packed and installed outside the workspace', () => {
  let packDir: string;
  let project: OfflineProject;
  let typeCheck: RunResult;
  let folders: Awaited<ReturnType<typeof createServerFolders>>;
  let origin: FileOrigin;
  let server: ServerProcess;

  beforeAll(async () => {
    packDir = await mkdtemp(path.join(tmpdir(), 'modeldock-pack-'));
    const tarball = await packWorkspacePackage(CLIENT_DIR, packDir);
    project = await installOffline({
      packages: [{ tarball, packageDir: CLIENT_DIR }],
      devPackages: ['@types/node', 'typescript'],
    });
    await writeFile(path.join(project.dir, 'download.ts'), await readmeExample());
    await writeFile(path.join(project.dir, 'misspelled.ts'), MISSPELLED);
    await writeFile(
      path.join(project.dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          // The package's own declarations are checked too, not skipped.
          skipLibCheck: false,
          types: ['node'],
          outDir: 'out',
        },
        include: ['download.ts', 'misspelled.ts'],
      }),
    );
    const tsc = path.join(project.dir, 'node_modules/typescript/bin/tsc');
    typeCheck = await runNode(project, tsc, {}, ['-p', '.']);

    folders = await createServerFolders();
    origin = await startFileOrigin();
    server = await startServerProcess({ folders, env: { MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN } });
  }, 240_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await origin?.close();
    await folders?.remove();
    if (project) await rm(project.dir, { recursive: true, force: true });
    if (packDir) await rm(packDir, { recursive: true, force: true });
  });

  it('ships only dist/ with ESM, one declaration file and no workspace dependency', async () => {
    const manifest = JSON.parse(
      await readFile(path.join(project.dir, 'node_modules/@modeldock/client/package.json'), 'utf8'),
    ) as { type: string; dependencies: Record<string, string> };
    expect(manifest.type).toBe('module');
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@trpc/client',
      '@trpc/server',
      'ws',
    ]);
    const declarations = await readFile(
      path.join(project.dir, 'node_modules/@modeldock/client/dist/index.d.ts'),
      'utf8',
    );
    expect(declarations).not.toMatch(/from ['"]@modeldock\//);
    expect(declarations).toContain('type AppRouter');
  });

  it('type-checks the README example and rejects a misspelled procedure and a wrong field', () => {
    const output = typeCheck.stdout + typeCheck.stderr;
    const errorLines = output.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(
      errorLines.every((line) => line.startsWith('misspelled.ts')),
      output,
    ).toBe(true);
    expect(output).toMatch(
      /misspelled\.ts\(4,[^)]*\): error TS2551: Property 'enqueu' does not exist/,
    );
    expect(output).toMatch(
      /misspelled\.ts\(5,[^)]*\): error TS2353: Object literal may only specify known properties, and 'ulr'/,
    );
    expect(errorLines).toHaveLength(2);
    expect(existsSync(path.join(project.dir, 'out/download.js'))).toBe(true);
  });

  it('runs the README example: starts a download, prints its progress, ends with the file', async () => {
    const bytes = generateBytes(3 * 1024 * 1024, 15);
    bytes.write('GGUF', 0, 'latin1');
    bytes.writeUInt32LE(3, 4);
    const file = origin.addFile('client-example.gguf', { bytes });
    const result = await runNode(
      project,
      'out/download.js',
      {
        MODELDOCK_URL: server.url,
        MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN,
      },
      [file.url, 'diffusion_models'],
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^completed 3145728 of 3145728 bytes$/m);
    expect(result.stdout).toMatch(/^done: diffusion_models\/client-example\.gguf$/m);
    expect(await sha256OfFile(path.join(folders.modelsDir, 'diffusion_models', 'client-example.gguf'))).toBe(
      file.sha256,
    );
  });

  it('reports a refused call with its code and no stack: without the token, and for a missing file', async () => {
    const file = origin.addFile('never-fetched.gguf', { size: 1024, seed: 16 });
    const noToken = await runNode(project, 'out/download.js', { MODELDOCK_URL: server.url }, [
      file.url,
    ]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/\[ACCESS_TOKEN_REQUIRED\]$/m);
    expect(noToken.stderr).not.toMatch(/\n\s+at /);

    const missing = await runNode(
      project,
      'out/download.js',
      {
        MODELDOCK_URL: server.url,
        MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN,
      },
      [`${origin.url}/not-there.gguf`, 'diffusion_models'],
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[REMOTE_NOT_FOUND\]$/m);
  });
});
