/**
 * The command as a user gets it away from the checkout: `pnpm pack` of packages/cli, installed with
 * `npm i -g --prefix <temp>` offline with a private, empty npm cache (so the tarball must carry
 * everything it needs), then `modeldock add hf://… --wait` from that prefix against the built
 * server and the fake Hugging Face hub exits 0 with the file on disk.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { ggufFile } from '../support/model-bytes';
import { REPO_ROOT, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { packWorkspacePackage } from '../support/packed-install';
import { runCli } from '../support/cli-process';

const run = promisify(execFile);
const CLI_DIR = path.join(REPO_ROOT, 'packages/cli');
const ACCESS_TOKEN = 'cli-packed-test-token-0123456789';

let workDir: string;
let prefix: string;
let cdn: FakeCdn;
let hub: FakeHuggingFace;
let server: ServerProcess;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'modeldock-cli-pack-'));
  prefix = path.join(workDir, 'prefix');
  const tarball = await packWorkspacePackage(CLI_DIR, workDir);
  await run(
    'npm',
    ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball],
    // A private cache: nothing from the user's npm cache can stand in for a missing dependency.
    { cwd: workDir, env: { ...process.env, npm_config_cache: path.join(workDir, '.npm-cache') } },
  );
  cdn = await startFakeCdn();
  hub = await startFakeHuggingFace({ cdn });
  hub.addRepo({
    id: 'acme/packed-GGUF',
    files: [
      {
        path: 'packed-Q4_0.gguf',
        content: ggufFile({ 'general.architecture': 'llama' }, { totalSize: 48 * 1024 }),
      },
    ],
  });
  server = await startServerProcess({
    env: { MODELDOCK_HF_ENDPOINT: hub.url, MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN },
  });
}, 180_000);

afterAll(async () => {
  await server?.stop('SIGTERM');
  await hub?.close();
  await cdn?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the packed @modeldock/cli installed with npm i -g', () => {
  it('has no dependencies to fetch and puts `modeldock` in the prefix', async () => {
    const manifest = JSON.parse(
      await readFile(path.join(prefix, 'lib/node_modules/@modeldock/cli/package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string>; bin: Record<string, string> };
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.bin).toEqual({ modeldock: './dist/modeldock.js' });
    expect(existsSync(path.join(prefix, 'bin/modeldock'))).toBe(true);
  });

  it('modeldock add hf://… --wait downloads the file and exits 0, from outside the checkout', async () => {
    const result = await runCli(['add', 'hf://acme/packed-GGUF/packed-Q4_0.gguf', '--wait'], {
      command: path.join(prefix, 'bin/modeldock'),
      cwd: workDir,
      env: { MODELDOCK_URL: server.url, MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN },
      timeoutMs: 90_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const relativePath = /^Done: (\S+)$/m.exec(result.stdout)?.[1];
    expect(relativePath, result.stdout).toMatch(/packed-Q4_0\.gguf$/);
    const written = await readFile(path.join(server.modelsDir, relativePath!));
    expect(written.equals(hub.repo('acme/packed-GGUF').file('packed-Q4_0.gguf').bytes)).toBe(true);
  });

  it('serve outside a checkout says where it works, with exit 2', async () => {
    const result = await runCli(['serve'], {
      command: path.join(prefix, 'bin/modeldock'),
      cwd: workDir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/inside the checkout after `pnpm build`.*\[INVALID_USAGE\]/);
  });
});
