/**
 * `GET /export.zip` on a built server: the zip holds `manifest.json` (the same manifest as
 * `library.export`) and every sidecar beside each model under its path relative to the models
 * root, byte for byte; a sidecar that is a symlink out of the models root is left out; the answer
 * is behind the API's gate (a foreign origin is refused) and a bad flag is a 400 naming it.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { connectHttp, waitFor } from './api-client';
import type { Api } from './api-client';

const MODEL = 'loras/style/neon.safetensors';
const INFO = 'loras/style/neon.civitai.info';
const LORA_MANAGER = 'loras/style/neon.metadata.json';
const PREVIEW = 'loras/style/neon.preview.png';
const OUTSIDE_LINK = 'loras/style/neon.json';

describe('GET /export.zip', () => {
  let folders: TemporaryServerFolders;
  let server: ServerProcess;
  let api: Api;
  const files: Record<string, Buffer> = {
    [MODEL]: Buffer.from('not really safetensors, but a model file all the same'.repeat(50)),
    [INFO]: Buffer.from(JSON.stringify({ id: 10, modelId: 1, name: 'v2' })),
    [LORA_MANAGER]: Buffer.from(JSON.stringify({ model_name: 'Neon Nights', notes: 'use at 0.7' })),
    [PREVIEW]: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]),
  };

  beforeAll(async () => {
    folders = await createServerFolders();
    await mkdir(path.join(folders.modelsDir, 'loras/style'), { recursive: true });
    for (const [relative, bytes] of Object.entries(files)) {
      await writeFile(path.join(folders.modelsDir, relative), bytes);
    }
    const secret = path.join(folders.dataDir, 'secret.json');
    await writeFile(secret, '{"not":"yours"}');
    await symlink(secret, path.join(folders.modelsDir, OUTSIDE_LINK));
    server = await startServerProcess({ folders });
    api = connectHttp(server.url);
    await waitFor(async () => {
      const manifest = await api.library.export.query();
      return manifest.models.some((model) => model.path === MODEL) ? manifest : null;
    }, 'the hand-placed model in the library');
  }, 240_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await folders?.remove();
  });

  it('holds the manifest and every sidecar under its relative path, byte for byte, nothing from outside the models root', async () => {
    const response = await fetch(`${server.url}/export.zip?includeMetadata=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="modeldock-collection-\d{4}-\d{2}-\d{2}\.zip"$/,
    );
    const entries = unzipSync(new Uint8Array(await response.arrayBuffer()));
    expect(Object.keys(entries).sort()).toEqual(
      ['manifest.json', INFO, LORA_MANAGER, PREVIEW].sort(),
    );
    for (const name of [INFO, LORA_MANAGER, PREVIEW]) {
      expect(Buffer.from(entries[name]!).equals(files[name]!)).toBe(true);
    }
    const manifest = JSON.parse(Buffer.from(entries['manifest.json']!).toString('utf8')) as {
      schema: string;
      version: number;
      models: { path: string; metadata?: unknown }[];
    };
    expect(manifest).toMatchObject({ schema: 'modeldock.collection', version: 1 });
    expect(manifest.models.map((model) => model.path)).toEqual([MODEL]);
    expect(manifest.models[0]).toHaveProperty('metadata');
  });

  it('is behind the API gate and refuses a bad flag by name', async () => {
    const foreign = await fetch(`${server.url}/export.zip`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const bad = await fetch(`${server.url}/export.zip?includeMetadata=yes`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/includeMetadata/);
    const post = await fetch(`${server.url}/export.zip`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});
