/**
 * Export on one data folder, import on an empty one, through the API of two built servers: the
 * manifest lists every model with its path, size, SHA-256 and source; the dry run on the empty
 * machine says what is missing and where from (access checked) and what has no source, and creates
 * nothing; the import is one bundle job that brings the files back to their manifest paths, byte for
 * byte; a second import finds them present. Bad manifests are a 400 naming the field, nothing changed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { sha256Of, startFileOrigin } from '../support/file-origin';
import type { FileOrigin, OriginFile } from '../support/file-origin';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { modelFile } from '../sources/helpers/hf-fixtures';
import { ggufBytes } from '../browser/gguf-bytes';
import { connectHttp, failureOf, sha256OfFile, waitFor, waitForStatus } from './api-client';
import type { Api } from './api-client';

const HF_REPO = 'collection-test/tiny-vae';
const HF_FILE = 'tiny_vae.safetensors';
const HAND_PLACED = 'upscale_models/only-here.pth';

describe('export on one machine, import on an empty one', () => {
  let hub: FakeHuggingFace;
  let origin: FileOrigin;
  let foldersA: TemporaryServerFolders;
  let foldersB: TemporaryServerFolders;
  let serverA: ServerProcess;
  let serverB: ServerProcess;
  let apiA: Api;
  let apiB: Api;
  let lora: OriginFile;
  let hfSha256: string;
  const handBytes = Buffer.from('a file put here by hand, with no known source'.repeat(100));

  beforeAll(async () => {
    hub = await startFakeHuggingFace();
    const hfBytes = modelFile(HF_FILE, HF_REPO, 4096);
    hfSha256 = sha256Of(hfBytes);
    hub.addRepo({ id: HF_REPO, files: [{ path: HF_FILE, content: hfBytes }] });
    origin = await startFileOrigin();
    lora = origin.addFile('detail-lora.gguf', { bytes: ggufBytes(64 * 1024, 3) });
    [foldersA, foldersB] = await Promise.all([createServerFolders(), createServerFolders()]);
    await mkdir(path.join(foldersA.modelsDir, 'upscale_models'), { recursive: true });
    await writeFile(path.join(foldersA.modelsDir, HAND_PLACED), handBytes);
    const env = { MODELDOCK_HF_ENDPOINT: hub.url };
    [serverA, serverB] = await Promise.all([
      startServerProcess({ folders: foldersA, env }),
      startServerProcess({ folders: foldersB, env }),
    ]);
    apiA = connectHttp(serverA.url);
    apiB = connectHttp(serverB.url);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([serverA?.stop('SIGTERM'), serverB?.stop('SIGTERM')]);
    await Promise.all([foldersA?.remove(), foldersB?.remove(), origin?.close(), hub?.close()]);
  });

  it('exports a manifest with path, size, SHA-256 and source of every model', async () => {
    const fromUrl = await apiA.downloads.enqueue.mutate({ url: lora.url, folder: 'loras/style' });
    const fromHub = await apiA.downloads.enqueue.mutate({
      url: `hf://${HF_REPO}/${HF_FILE}`,
      folder: 'vae',
    });
    await waitForStatus(apiA, fromUrl.jobId, 'completed');
    await waitForStatus(apiA, fromHub.jobId, 'completed');
    const manifest = await waitFor(async () => {
      const candidate = await apiA.library.export.query({ includeMetadata: true });
      return candidate.models.length === 3 && candidate.models.every((model) => model.sha256)
        ? candidate
        : null;
    }, 'three hashed models in the manifest');

    expect(manifest).toMatchObject({ schema: 'modeldock.collection', version: 1 });
    expect(manifest.generator).toMatch(/^modeldock /);
    const byPath = new Map(manifest.models.map((model) => [model.path, model]));
    expect(byPath.get('loras/style/detail-lora.gguf')).toMatchObject({
      sizeBytes: lora.bytes.length,
      sha256: lora.sha256,
      source: { kind: 'url', url: lora.url },
    });
    expect(byPath.get(`vae/${HF_FILE}`)).toMatchObject({
      sha256: hfSha256,
      source: {
        kind: 'huggingface',
        repo: HF_REPO,
        path: HF_FILE,
        revision: expect.stringMatching(/^[0-9a-f]{40}$/),
      },
    });
    expect(byPath.get(HAND_PLACED)).toMatchObject({
      sizeBytes: handBytes.length,
      sha256: sha256Of(handBytes),
      source: null,
    });
    expect(manifest.models.every((model) => 'metadata' in model)).toBe(true);
  });

  it('a dry run on the empty machine lists missing and unresolved models and creates nothing; the import restores them', async () => {
    const manifest = await apiA.library.export.query();
    const text = JSON.stringify(manifest);

    const preview = await apiB.library.import.mutate({ manifest: text, dryRun: true });
    expect(preview.jobId).toBeNull();
    expect(preview.present).toEqual([]);
    expect(preview.unresolved).toEqual([
      expect.objectContaining({ path: HAND_PLACED, sha256: sha256Of(handBytes) }),
    ]);
    expect(preview.missing.map((item) => item.path).sort()).toEqual([
      'loras/style/detail-lora.gguf',
      `vae/${HF_FILE}`,
    ]);
    for (const item of preview.missing) expect(item).toMatchObject({ access: 'ok', problem: null });
    expect(preview.missing.find((item) => item.path === `vae/${HF_FILE}`)!.from).toMatch(
      new RegExp(`^hf://${HF_REPO}@[0-9a-f]{40}/${HF_FILE}$`),
    );
    expect((await apiB.downloads.list.query()).items).toEqual([]);

    const imported = await apiB.library.import.mutate({ manifest, dryRun: false });
    expect(imported.jobId).toEqual(expect.any(String));
    const job = await waitForStatus(apiB, imported.jobId!, 'completed');
    expect(job.kind).toBe('bundle');
    expect(job.files).toHaveLength(2);
    expect(await sha256OfFile(path.join(foldersB.modelsDir, 'loras/style/detail-lora.gguf'))).toBe(
      lora.sha256,
    );
    expect(await sha256OfFile(path.join(foldersB.modelsDir, 'vae', HF_FILE))).toBe(hfSha256);

    const again = await waitFor(async () => {
      const result = await apiB.library.import.mutate({ manifest, dryRun: true });
      return result.present.length === 2 ? result : null;
    }, 'the imported models present');
    expect(again.missing).toEqual([]);
    expect(again.present.map((item) => item.foundAt).sort()).toEqual([
      'loras/style/detail-lora.gguf',
      `vae/${HF_FILE}`,
    ]);
  });

  it('refuses a bad manifest with a 400 that names the field, and changes nothing', async () => {
    const manifest = await apiA.library.export.query();
    const jobsBefore = (await apiB.downloads.list.query()).items.length;
    const model = manifest.models[0]!;
    const cases: Array<[unknown, RegExp]> = [
      ['{"schema": "modeldock.collection", ', /^manifest: is not JSON/],
      [{ ...manifest, version: 2 }, /^manifest\.version: is 2/],
      [{ ...manifest, schema: 'something-else' }, /^manifest\.schema/],
      [
        { ...manifest, models: [{ ...model, path: '../outside.safetensors' }] },
        /^manifest\.models\[0\]\.path: .*leads out of the models folder/,
      ],
      [
        { ...manifest, models: [{ ...model, path: '/etc/passwd' }] },
        /^manifest\.models\[0\]\.path/,
      ],
      [
        { ...manifest, models: [{ ...model, sha256: 'abc123' }] },
        /^manifest\.models\[0\]\.sha256: must be 64 hexadecimal characters \(got 6/,
      ],
      [
        JSON.stringify({ ...manifest, padding: 'x'.repeat(10 * 1024 * 1024) }),
        /^manifest: is 10\.\d\d MB; at most 10 MB is accepted/,
      ],
    ];
    for (const [bad, message] of cases) {
      const failure = await failureOf(apiB.library.import.mutate({ manifest: bad, dryRun: false }));
      expect(failure).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT' });
      expect(failure.message).toMatch(message);
    }
    expect((await apiB.downloads.list.query()).items).toHaveLength(jobsBefore);
  });
});
