/**
 * `createModelLibrary` on the real PGlite store and a real models folder: listing (filters, search,
 * sorts, pages, odd names), stats, delete (sidecars, HF cache links and blobs, refusals that change
 * nothing), clear cache (the dry run is what is removed; never a model), "Download again", and
 * scans as refresh tasks with their events.
 */
import { mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModeldockError } from '@modeldock/engine';
import type { JobRecord, LibraryEntry, LibraryEvent } from '@modeldock/engine';
import { sha256Of } from '../../engine/library/helpers/library-fixture';
import { createModelLibraryFixture, sharedDatabase } from '../helpers/model-library-fixture';
import type { ModelLibraryFixture } from '../helpers/model-library-fixture';

const shared = sharedDatabase();
let f: ModelLibraryFixture;

beforeEach(async () => {
  f = await createModelLibraryFixture(shared);
});
afterEach(async () => {
  await f.library.stop();
  await f.cleanup();
});
afterAll(async () => {
  await shared.close();
});

async function scanNow(): Promise<void> {
  await f.library.scan();
  await f.tasks.drain();
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ModeldockError);
    return (error as ModeldockError).code;
  }
  throw new Error('expected a refusal');
}

async function entry(relativePath: string, status: ('present' | 'missing')[] = ['present', 'missing']): Promise<LibraryEntry> {
  const { items } = await f.library.list({ status, search: path.posix.basename(relativePath), limit: 500 });
  const found = items.find((item) => item.relativePath === relativePath);
  if (!found) throw new Error(`no entry for ${relativePath}`);
  return found;
}

function activeJobWriting(relativePath: string): JobRecord {
  return { id: 'job-active', status: 'running', files: [{ id: 'file-active', relativePath }] } as unknown as JobRecord;
}

describe('listing', () => {
  beforeEach(async () => {
    await f.write('checkpoints/sdxl base.safetensors', 'x'.repeat(300));
    await f.write('loras/Style ☆ été.safetensors', 'x'.repeat(20));
    await f.write('loras/sub/old.ckpt', 'x'.repeat(50));
    await f.write('text_encoders/t5.gguf', 'x'.repeat(100));
    await f.write('gone.gguf', 'soon gone');
    await scanNow();
    await import('node:fs/promises').then((fs) => fs.rm(f.absolute('gone.gguf')));
    await scanNow();
  });

  it('lists present entries by name by default; missing ones only when asked', async () => {
    const { items, nextCursor } = await f.library.list();
    expect(items.map((item) => item.name)).toEqual(['Style ☆ été.safetensors', 'old.ckpt', 'sdxl base.safetensors', 't5.gguf']);
    expect(nextCursor).toBeNull();
    expect(items[0]).toMatchObject({ folder: 'loras', format: 'safetensors', status: 'present', source: null, jobId: null, error: null });
    expect(new Date(items[0]!.addedAt).toISOString()).toBe(items[0]!.addedAt);
    expect((await f.library.list({ status: ['missing'] })).items.map((item) => item.name)).toEqual(['gone.gguf']);
    expect((await f.library.list({ status: ['present', 'missing'] })).items).toHaveLength(5);
  });

  it('filters by folder (or a subfolder), format and source, searches names and folders, sorts by size and date', async () => {
    const names = async (query: Parameters<typeof f.library.list>[0]) => (await f.library.list(query)).items.map((item) => item.name);
    expect(await names({ folder: 'loras' })).toEqual(['Style ☆ été.safetensors', 'old.ckpt']);
    expect(await names({ folder: 'loras/sub/' })).toEqual(['old.ckpt']);
    expect(await names({ format: 'pickle' })).toEqual(['old.ckpt']);
    expect(await names({ source: 'disk' })).toHaveLength(4);
    expect(await names({ source: 'huggingface' })).toEqual([]);
    expect(await names({ search: 'étés' })).toEqual([]);
    expect(await names({ search: 'ÉTÉ' })).toEqual(['Style ☆ été.safetensors']);
    expect(await names({ search: '☆' })).toEqual(['Style ☆ été.safetensors']);
    expect(await names({ search: 'TEXT_enc' })).toEqual(['t5.gguf']);
    expect(await names({ search: '%' })).toEqual([]);
    expect(await names({ sort: 'size', order: 'desc' })).toEqual(['sdxl base.safetensors', 't5.gguf', 'old.ckpt', 'Style ☆ été.safetensors']);
    expect(await names({ sort: 'added' })).toHaveLength(4);
  });

  it('pages with a cursor in every sort, and refuses a malformed query with INVALID_INPUT', async () => {
    for (const sort of ['name', 'size', 'added'] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: LibraryEntry[]; nextCursor: string | null } = await f.library.list({ sort, limit: 1, cursor });
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(4);
    }
    const first = await f.library.list({ sort: 'size', limit: 1 });
    expect(await codeOf(f.library.list({ sort: 'name', cursor: first.nextCursor }))).toBe('INVALID_INPUT');
    expect(await codeOf(f.library.list({ cursor: 'not a cursor' }))).toBe('INVALID_INPUT');
    expect(await codeOf(f.library.list({ status: ['gone' as 'missing'] }))).toBe('INVALID_INPUT');
    expect(await codeOf(f.library.list({ limit: 0 }))).toBe('INVALID_INPUT');
    expect(await codeOf(f.library.list({ sort: 'colour' as 'name' }))).toBe('INVALID_INPUT');
    expect(await codeOf(f.library.get('no-such-id'))).toBe('MODEL_NOT_FOUND');
  });

  it('stats: bytes and files per folder of present entries, free space and locations', async () => {
    const stats = await f.library.stats();
    expect(stats).toMatchObject({
      totalBytes: 470,
      files: 4,
      folders: [
        { folder: 'checkpoints', bytes: 300, files: 1 },
        { folder: 'loras', bytes: 70, files: 2 },
        { folder: 'text_encoders', bytes: 100, files: 1 },
      ],
      modelsRoot: f.modelsRoot,
    });
    expect(stats.freeBytes).toBeGreaterThan(0);
  });
});

describe('delete', () => {
  it('removes the model, its sidecars and previews, names the bytes freed, and forgets the entry', async () => {
    await f.write('loras/style.safetensors', 'x'.repeat(1000));
    await f.write('loras/style.civitai.info', '{"id": 1}');
    await f.write('loras/style.metadata.json', '{"file_name": "style"}');
    await f.write('loras/style.preview.png', 'png');
    await f.write('loras/style.json', '{"activation text": "st"}');
    await f.write('loras/style.yaml', 'a config nobody said was ours');
    await f.write('loras/other.json', '{"activation text": "other"}');
    await f.write('loras/keep.safetensors', 'keep');
    await scanNow();
    const style = await entry('loras/style.safetensors');
    const events: LibraryEvent[] = [];
    f.library.subscribe((event) => events.push(event));

    const result = await f.library.delete([style.id]);
    const sidecarBytes = '{"id": 1}'.length + '{"file_name": "style"}'.length + 'png'.length + '{"activation text": "st"}'.length;
    expect(result).toEqual({ deleted: 1, freedBytes: 1000 + sidecarBytes });
    expect((await readdir(f.absolute('loras'))).sort()).toEqual(['keep.safetensors', 'other.json', 'style.yaml']);
    expect(await codeOf(f.library.get(style.id))).toBe('MODEL_NOT_FOUND');
    expect(events).toEqual([expect.objectContaining({ type: 'entries', ids: [style.id] })]);
  });

  it('refuses an unknown id, a file a download is writing, and a folder linked out of the root — changing nothing', async () => {
    await f.write('checkpoints/a.safetensors', 'a');
    await f.write('checkpoints/busy.safetensors', 'busy');
    const outside = path.join(f.root, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'x.safetensors'), 'outside');
    await scanNow();
    // The folder is swapped for a link out of the root after the scan listed it.
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(f.absolute('linked'));
      await fs.writeFile(f.absolute('linked/x.safetensors'), 'inside');
    });
    await scanNow();
    const linked = await entry('linked/x.safetensors');
    await import('node:fs/promises').then(async (fs) => {
      await fs.rm(f.absolute('linked'), { recursive: true });
      await fs.symlink(outside, f.absolute('linked'));
    });
    const a = await entry('checkpoints/a.safetensors');
    const busy = await entry('checkpoints/busy.safetensors');
    f.activeJobs = [activeJobWriting('checkpoints/busy.safetensors')];

    expect(await codeOf(f.library.delete([a.id, 'no-such-id']))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(f.library.delete([a.id, busy.id]))).toBe('FILE_IN_USE');
    expect(await codeOf(f.library.delete([a.id, linked.id]))).toBe('PATH_OUTSIDE_ROOT');
    expect(await codeOf(f.library.delete([]))).toBe('INVALID_INPUT');
    expect(await stat(f.absolute('checkpoints/a.safetensors'))).toBeTruthy();
    expect(await stat(path.join(outside, 'x.safetensors'))).toBeTruthy();
    expect((await f.library.get(a.id)).status).toBe('present');
  });

  it('a Hugging Face cache entry: removes its snapshot link, and the blob once no snapshot uses it', async () => {
    const repo = 'huggingface/hub/models--org--name';
    await f.write(`${repo}/blobs/b1`, 'x'.repeat(500));
    await mkdir(f.absolute(`${repo}/snapshots/c1`), { recursive: true });
    await mkdir(f.absolute(`${repo}/snapshots/c2`), { recursive: true });
    await symlink('../../blobs/b1', f.absolute(`${repo}/snapshots/c1/model.safetensors`));
    await symlink('../../blobs/b1', f.absolute(`${repo}/snapshots/c2/model.safetensors`));
    await scanNow();
    const first = await entry(`${repo}/snapshots/c1/model.safetensors`);
    const second = await entry(`${repo}/snapshots/c2/model.safetensors`);
    expect(await f.library.delete([first.id])).toEqual({ deleted: 1, freedBytes: 0 });
    expect(await stat(f.absolute(`${repo}/blobs/b1`))).toBeTruthy();
    expect(await f.library.delete([second.id])).toEqual({ deleted: 1, freedBytes: 500 });
    expect(await readdir(f.absolute(`${repo}/blobs`))).toEqual([]);
  });

  it('a missing entry is only forgotten', async () => {
    await f.write('vae/v.safetensors', 'v');
    await scanNow();
    await import('node:fs/promises').then((fs) => fs.rm(f.absolute('vae/v.safetensors')));
    await scanNow();
    const missing = await entry('vae/v.safetensors', ['missing']);
    expect(await f.library.delete([missing.id])).toEqual({ deleted: 1, freedBytes: 0 });
    expect((await f.library.list({ status: ['missing'] })).items).toEqual([]);
  });
});

describe('clear cache', () => {
  it('lists orphan partials, unused blobs and orphaned previews; the real run removes exactly that; never a model', async () => {
    const repo = 'huggingface/hub/models--org--name';
    await f.write('checkpoints/.model.safetensors.file-gone.modeldock-part', 'x'.repeat(100));
    await f.write('checkpoints/.model.safetensors.file-active.modeldock-part', 'x'.repeat(7));
    await f.write('checkpoints/model.safetensors', 'model');
    await f.write('checkpoints/model.preview.png', 'kept: its model is here');
    await f.write('loras/deleted.preview.png', 'x'.repeat(30));
    await f.write(`${repo}/blobs/used`, 'used');
    await f.write(`${repo}/blobs/unused`, 'x'.repeat(200));
    await mkdir(f.absolute(`${repo}/snapshots/c1`), { recursive: true });
    await symlink('../../blobs/used', f.absolute(`${repo}/snapshots/c1/m.safetensors`));
    f.activeJobs = [activeJobWriting('checkpoints/other.safetensors')];
    (f.activeJobs[0]!.files[0] as { id: string }).id = 'file-active';
    f.clock.now = () => Date.now() + 60_000;

    const dryRun = await f.library.clearCache({ dryRun: true });
    expect(dryRun).toEqual({
      items: [
        { relativePath: 'checkpoints/.model.safetensors.file-gone.modeldock-part', bytes: 100, reason: 'partial-download' },
        { relativePath: `${repo}/blobs/unused`, bytes: 200, reason: 'unused-hf-blob' },
        { relativePath: 'loras/deleted.preview.png', bytes: 30, reason: 'orphaned-preview' },
      ],
      bytes: 330,
    });
    expect(await stat(f.absolute(`${repo}/blobs/unused`))).toBeTruthy();
    expect(await f.library.clearCache({ dryRun: false })).toEqual(dryRun);
    expect(await f.library.clearCache({ dryRun: true })).toEqual({ items: [], bytes: 0 });
    expect((await readdir(f.absolute('checkpoints'))).sort()).toEqual([
      '.model.safetensors.file-active.modeldock-part',
      'model.preview.png',
      'model.safetensors',
    ]);
    expect(await codeOf(f.library.clearCache({ dryRun: 'yes' as unknown as boolean }))).toBe('INVALID_INPUT');
  });
});

describe('download again', () => {
  it('re-enqueues exactly the same source to the same place, with the hash it had', async () => {
    await f.write('checkpoints/dl.safetensors', 'downloaded');
    const file = (await f.fs.lstat(f.absolute('checkpoints/dl.safetensors')))!;
    await f.db.fileIndex.record(
      {
        relativePath: 'checkpoints/dl.safetensors',
        sha256: sha256Of('downloaded'),
        size: file.size,
        mtimeMs: file.mtimeMs,
        sourceKind: 'huggingface',
        source: { kind: 'huggingface', repo: 'org/name', revision: 'c0ffee', path: 'dl.safetensors', url: 'https://hf.test/org/name/resolve/c0ffee/dl.safetensors' },
        jobId: 'job-1',
      },
      new Date(),
    );
    await f.write('checkpoints/found.safetensors', 'found');
    await scanNow();
    const found = await entry('checkpoints/found.safetensors');
    expect(await codeOf(f.library.redownload(found.id))).toBe('INVALID_STATE');
    await import('node:fs/promises').then(async (fs) => {
      await fs.rm(f.absolute('checkpoints/dl.safetensors'));
      await fs.rm(f.absolute('checkpoints/found.safetensors'));
    });
    await scanNow();
    const missing = await entry('checkpoints/dl.safetensors', ['missing']);
    expect(await f.library.redownload(missing.id)).toEqual({ jobId: 'job-1' });
    expect(f.enqueued).toEqual([
      {
        url: 'https://hf.test/org/name/resolve/c0ffee/dl.safetensors',
        folder: 'checkpoints',
        filename: 'dl.safetensors',
        sha256: sha256Of('downloaded'),
      },
    ]);
    const foundMissing = await entry('checkpoints/found.safetensors', ['missing']);
    expect(await codeOf(f.library.redownload(foundMissing.id))).toBe('INVALID_STATE');
    expect(await codeOf(f.library.redownload('nope'))).toBe('MODEL_NOT_FOUND');
  });
});

describe('scans as refresh tasks', () => {
  it('a scan is a task with progress and events; one whole-library scan is queued at a time', async () => {
    await f.write('a.gguf', 'a');
    await f.write('b.gguf', 'b');
    const events: LibraryEvent[] = [];
    f.library.subscribe((event) => events.push(event));
    const { taskId } = await f.library.scan();
    expect((await f.library.scan()).taskId).toBe(taskId);
    expect(await f.tasks.drain()).toBe(1);
    expect(await f.tasks.get(taskId)).toMatchObject({ kind: 'scan', status: 'completed', done: 2, total: 2, current: null, errors: [] });
    expect(events.map((event) => event.type)).toContain('entries');
    const taskEvents = events.filter((event): event is Extract<LibraryEvent, { type: 'task' }> => event.type === 'task');
    expect(taskEvents[0]!.task.status).toBe('pending');
    expect(taskEvents.at(-1)!.task.status).toBe('completed');
    // Replay after an id; an id from another lifetime cannot be replayed.
    expect(f.library.eventsAfter(events[0]!.id)).toEqual(events.slice(1));
    expect(f.library.eventsAfter('1.1')).toBeNull();
    expect((await f.library.scan()).taskId).not.toBe(taskId);
    expect(await codeOf(f.tasks.get('no-such-task'))).toBe('TASK_NOT_FOUND');
    expect(await codeOf(f.tasks.list({ limit: 0 }))).toBe('INVALID_INPUT');
  });

  it('queues a scan at start and every interval (injected clock)', async () => {
    await f.library.stop();
    f = await createModelLibraryFixture(shared, { scanIntervalMs: 60_000 });
    await f.library.start();
    const scans = async () => (await f.tasks.list({ kind: 'scan' })).length;
    await waitFor(async () => (await f.tasks.list({ status: ['completed'] })).length === 1);
    await f.clock.advance(60_000);
    await waitFor(async () => (await scans()) === 2);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
