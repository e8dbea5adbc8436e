/**
 * The library end to end on the built server: a download appears as an entry with its source and
 * job; the file deleted by hand becomes missing after a scan; "Download again" brings back the same
 * bytes to the same place; and a bad request is a typed 4xx that changes nothing.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { sha256Of, startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { ggufBytes } from '../browser/gguf-bytes';
import { connectHttp, failureOf, waitFor, waitForStatus } from './api-client';
import type { Api } from './api-client';

describe('the library on the built server', () => {
  let folders: Awaited<ReturnType<typeof createServerFolders>>;
  let origin: FileOrigin;
  let server: ServerProcess;
  let api: Api;

  beforeAll(async () => {
    folders = await createServerFolders();
    origin = await startFileOrigin();
    server = await startServerProcess({ folders });
    api = connectHttp(server.url);
  }, 180_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await origin?.close();
    await folders?.remove();
  });

  it('download → entry with its source → deleted by hand → missing → "Download again" restores the same bytes', async () => {
    const file = origin.addFile('library-model.gguf', { bytes: ggufBytes(256 * 1024, 5) });
    const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: 'diffusion_models' });
    await waitForStatus(api, jobId, 'completed');
    const relativePath = 'diffusion_models/library-model.gguf';

    const entry = await waitFor(async () => {
      const { items } = await api.library.list.query({ search: 'library-model' });
      return items.find((item) => item.relativePath === relativePath);
    }, 'the download in the library');
    expect(entry).toMatchObject({
      folder: 'diffusion_models',
      format: 'gguf',
      status: 'present',
      sizeBytes: file.bytes.length,
      sha256: file.sha256,
      jobId,
      source: { kind: 'url', url: file.url },
    });
    expect(await api.library.get.query({ id: entry.id })).toEqual(entry);

    await rm(path.join(server.modelsDir, relativePath));
    const { taskId } = await api.library.scan.mutate();
    await waitFor(async () => (await api.tasks.get.query({ taskId })).status === 'completed', 'the scan');
    expect((await api.library.list.query({ search: 'library-model' })).items).toEqual([]);
    const missing = (await api.library.list.query({ status: ['missing'], search: 'library-model' })).items[0]!;
    expect(missing).toMatchObject({ id: entry.id, status: 'missing', sizeBytes: file.bytes.length, jobId });

    const again = await api.library.redownload.mutate({ id: entry.id });
    await waitForStatus(api, again.jobId, 'completed');
    expect(sha256Of(await readFile(path.join(server.modelsDir, relativePath)))).toBe(file.sha256);
    await waitFor(async () => (await api.library.get.query({ id: entry.id })).status === 'present', 'the entry present again');
  });

  it('bad input is a typed 4xx and changes nothing', async () => {
    const unknown = await failureOf(api.library.delete.mutate({ ids: ['no-such-entry'] }));
    expect(unknown).toMatchObject({ httpStatus: 404, modeldockCode: 'MODEL_NOT_FOUND' });
    const malformed = await failureOf(api.library.list.query({ cursor: 'garbage' }));
    expect(malformed).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT' });
    const badStatus = await failureOf(api.library.list.query({ status: ['gone' as 'missing'] }));
    expect(badStatus).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT' });
    const task = await failureOf(api.tasks.cancel.mutate({ taskId: 'no-such-task' }));
    expect(task).toMatchObject({ httpStatus: 404, modeldockCode: 'TASK_NOT_FOUND' });
    const dryRun = await api.library.clearCache.mutate({ dryRun: true });
    expect(await api.library.clearCache.mutate({ dryRun: false })).toEqual(dryRun);
  });
});
