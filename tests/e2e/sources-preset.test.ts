/**
 * The z-image-turbo preset on the built server, pointed at the fake Hugging Face hub and CDN: three
 * files from three repositories downloaded as one bundle job through sources.downloadPreset, into
 * diffusion_models, vae and text_encoders, byte for byte and SHA-256 for SHA-256 what the hub serves;
 * sources.presets shows it missing, partial while it downloads, and present. On the way, a cancelled
 * bundle is rolled back with downloads.rollback: the file it completed is removed, and said so.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHfFile, FakeHuggingFace } from '../support/fake-huggingface';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { modelFile } from '../sources/helpers/hf-fixtures';
import {
  connectHttp,
  failureOf,
  listFiles,
  sha256OfFile,
  waitFor,
  waitForJob,
  waitForStatus,
} from './api-client';
import type { Api } from './api-client';

/** The preset's files, as the catalog names them; the two GGUF files large enough to be caught mid-download. */
const PRESET_FILES = [
  {
    repo: 'leejet/Z-Image-Turbo-GGUF',
    file: 'z_image_turbo-Q8_0.gguf',
    destination: 'diffusion_models/z_image_turbo-Q8_0.gguf',
    size: 2 * 1024 * 1024,
  },
  {
    repo: 'black-forest-labs/FLUX.1-schnell',
    file: 'ae.safetensors',
    destination: 'vae/ae.safetensors',
    size: 4096,
  },
  {
    repo: 'unsloth/Qwen3-4B-Instruct-2507-GGUF',
    file: 'Qwen3-4B-Instruct-2507-Q8_0.gguf',
    destination: 'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf',
    size: 2 * 1024 * 1024 + 17,
  },
] as const;
/** Slow enough that the large files are still downloading when the test looks, whatever the machine. */
const CRAWL_BPS = 96 * 1024;

let hub: FakeHuggingFace;
let folders: TemporaryServerFolders;
let server: ServerProcess;
let api: Api;

const hubFile = (index: number): FakeHfFile =>
  hub.repo(PRESET_FILES[index]!.repo).file(PRESET_FILES[index]!.file);

async function presetView() {
  const { items } = await api.sources.presets.query();
  const view = items.find((item) => item.id === 'z-image-turbo');
  if (!view) throw new Error(`no z-image-turbo in ${JSON.stringify(items.map((item) => item.id))}`);
  return view;
}

beforeAll(async () => {
  hub = await startFakeHuggingFace();
  for (const entry of PRESET_FILES) {
    hub.addRepo({
      id: entry.repo,
      files: [
        { path: entry.file, content: modelFile(entry.file, entry.repo, entry.size) },
        { path: 'README.md', content: `# ${entry.repo}\n` },
      ],
    });
  }
  folders = await createServerFolders();
  server = await startServerProcess({ folders, env: { MODELDOCK_HF_ENDPOINT: hub.url } });
  api = connectHttp(server.url);
}, 180_000);

afterAll(async () => {
  const exit = await server?.stop('SIGTERM');
  await hub?.close();
  await folders?.remove();
  expect(exit?.code, server?.output()).toBe(0);
});

describe('the z-image-turbo preset end to end', () => {
  it('is missing on an empty models folder', async () => {
    const view = await presetView();
    expect(view).toMatchObject({
      id: 'z-image-turbo',
      name: 'Z-Image Turbo (GGUF Q8_0)',
      status: 'missing',
    });
    expect(
      view.files.map((file) => [file.relativePath, file.source, file.status, file.bytesOnDisk]),
    ).toEqual(
      PRESET_FILES.map((entry) => [
        entry.destination,
        `hf://${entry.repo}@main/${entry.file}`,
        'missing',
        null,
      ]),
    );
  });

  it('is partial while it downloads; a cancelled bundle rolled back loses the file it completed, and says so', async () => {
    await api.downloads.setGlobalBandwidthLimit.mutate({ bytesPerSecond: CRAWL_BPS });
    try {
      const { jobId, attached } = await api.sources.downloadPreset.mutate({
        presetId: 'z-image-turbo',
      });
      expect(attached).toBe(false);

      await waitFor(async () => {
        const view = await presetView();
        const growing = view.files.some(
          (file) => file.status === 'partial' && (file.bytesOnDisk ?? 0) > 0,
        );
        return view.status === 'partial' && growing ? view : null;
      }, 'the preset to show partial downloads');

      // The small VAE completes at once; the two large files crawl on.
      await waitForJob(
        api,
        jobId,
        (job) => job.files[1]!.status === 'completed',
        'the VAE to complete',
      );
      const cancelled = await api.downloads.cancel.mutate({ jobId });
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.files.map((file) => file.status)).toEqual([
        'cancelled',
        'completed',
        'cancelled',
      ]);

      const rolledBack = await api.downloads.rollback.mutate({ jobId });
      expect(rolledBack.status).toBe('cancelled');
      expect(rolledBack.files.map((file) => file.status)).toEqual([
        'cancelled',
        'cancelled',
        'cancelled',
      ]);
      expect(rolledBack.warnings).toContain('Rolled back: removed vae/ae.safetensors');
      expect(await listFiles(server.modelsDir)).toEqual([]);
      expect((await presetView()).status).toBe('missing');

      const again = await failureOf(api.downloads.rollback.mutate({ jobId: 'no-such-job' }));
      expect(again.modeldockCode).toBe('JOB_NOT_FOUND');
    } finally {
      await api.downloads.setGlobalBandwidthLimit.mutate({ bytesPerSecond: null });
    }
  });

  it('downloads all three files as one bundle job, identical to what the hub serves, and is then present', async () => {
    const { jobId, attached } = await api.sources.downloadPreset.mutate({
      presetId: 'z-image-turbo',
      priority: 5,
    });
    expect(attached).toBe(false);
    const job = await waitForStatus(api, jobId, 'completed', 60_000);
    expect(job).toMatchObject({ kind: 'bundle', source: 'preset:z-image-turbo', priority: 5 });
    expect(job.files.map((file) => [file.relativePath, file.status])).toEqual(
      PRESET_FILES.map((entry) => [entry.destination, 'completed']),
    );

    for (const [index, entry] of PRESET_FILES.entries()) {
      const onDisk = path.join(server.modelsDir, ...entry.destination.split('/'));
      // Buffer.equals: a deep equality over megabytes would cost tens of seconds.
      expect((await readFile(onDisk)).equals(hubFile(index).bytes), entry.destination).toBe(true);
      expect(await sha256OfFile(onDisk)).toBe(hubFile(index).sha256);
      expect(job.files[index]).toMatchObject({
        sha256: hubFile(index).sha256,
        expectedSha256: hubFile(index).sha256,
      });
    }
    expect(await listFiles(server.modelsDir)).toEqual(
      PRESET_FILES.map((entry) => entry.destination).sort(),
    );

    const view = await presetView();
    expect(view.status).toBe('present');
    expect(view.files.map((file) => [file.status, file.bytesOnDisk])).toEqual(
      PRESET_FILES.map((entry) => ['present', entry.size]),
    );

    const repeat = await api.sources.downloadPreset.mutate({ presetId: 'z-image-turbo' });
    expect(repeat).toEqual({ jobId: repeat.jobId, attached: false });
    // What is on disk is checked in the job's first step: every file present, nothing fetched.
    const present = await waitForStatus(api, repeat.jobId, 'completed', 30_000);
    expect(present.files.map((file) => file.status)).toEqual(PRESET_FILES.map(() => 'present'));
  });

  it('refuses an unknown preset and bad input with typed errors', async () => {
    const unknown = await failureOf(
      api.sources.downloadPreset.mutate({ presetId: 'no-such-preset' }),
    );
    expect(unknown).toMatchObject({ modeldockCode: 'INVALID_INPUT', code: 'BAD_REQUEST' });
    expect(unknown.message).toContain('z-image-turbo');
    expect(
      (await failureOf(api.sources.downloadPreset.mutate({ presetId: '../../etc' }))).modeldockCode,
    ).toBe('INVALID_INPUT');
    expect(
      (
        await failureOf(
          api.sources.downloadPreset.mutate({ presetId: 'z-image-turbo', priority: -1 }),
        )
      ).modeldockCode,
    ).toBe('INVALID_INPUT');
    const completed = (await api.downloads.list.query({ status: ['completed'] })).items[0]!;
    const refusal = await failureOf(api.downloads.rollback.mutate({ jobId: completed.id }));
    expect(refusal).toMatchObject({ modeldockCode: 'INVALID_STATE', code: 'CONFLICT' });
  });
});
