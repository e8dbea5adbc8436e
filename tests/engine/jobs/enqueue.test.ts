import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModeldockError, relativeDestination } from '@modeldock/engine';
import type { EnqueueRequest, ResolvedSource, SourceResolver } from '@modeldock/engine';
import { MemoryJobStore } from '../../support/memory-job-store';
import { createHarness } from './helpers/harness';
import type { Harness } from './helpers/harness';

let harness: Harness;
afterEach(async () => {
  await harness?.dispose();
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<ModeldockError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModeldockError);
  expect((error as ModeldockError).code).toBe(code);
  return error as ModeldockError;
}

/** The job's first step failed it with `code`; its error is on the job, not the enqueue call. */
async function expectFailedWith(h: Harness, jobId: string, code: string): Promise<ModeldockError> {
  const error = await expectCode(h.prepared(jobId), code);
  const job = await h.manager.getJob(jobId);
  expect(job).toMatchObject({ status: 'failed', error: { code } });
  expect(h.transfer.calls).toHaveLength(0);
  return error;
}

async function expectNothingWritten(h: Harness): Promise<void> {
  expect((await h.store.listJobs({ limit: 10 })).items).toHaveLength(0);
  expect(h.store.storedEvents()).toHaveLength(0);
}

/** A resolver standing in for Hugging Face: accepts "hf:" inputs and returns the files it is given. */
function bundleResolver(
  files: Array<{ name: string; bytesTotal?: number; sha256?: string }>,
): SourceResolver & {
  requests: EnqueueRequest[];
} {
  const requests: EnqueueRequest[] = [];
  return {
    kind: 'huggingface',
    requests,
    accepts: (input) => input.startsWith('hf:'),
    async resolve(request): Promise<ResolvedSource> {
      requests.push(request);
      return {
        kind: 'huggingface',
        source: request.url,
        files: files.map((file) => ({
          url: `https://hub.example/${file.name}`,
          name: file.name,
          relativePath: relativeDestination(request.folder ?? '', file.name),
          bytesTotal: file.bytesTotal ?? null,
          expectedSha256: file.sha256 ?? null,
          credential: 'huggingface',
          revision: 'abc123',
          access: 'ok',
        })),
      };
    },
  };
}

describe('enqueue: a direct link', () => {
  it('records a queued job named after the link, without any network request', async () => {
    harness = await createHarness({ start: false });
    const result = await harness.manager.enqueue({
      url: 'https://cdn.example/models/my%20model.safetensors',
      folder: 'checkpoints',
      priority: 2,
    });
    expect(result).toEqual({ jobId: result.jobId, attached: false });
    // Not started: the job waits, its first step still to run by whichever worker claims it.
    expect(await harness.manager.getJob(result.jobId)).toMatchObject({
      status: 'queued',
      phase: { step: 'resolving' },
      files: [],
    });
    expect(harness.events.map((event) => [event.type, event.id])).toEqual([['created', '1']]);
    await harness.manager.start();
    const job = await harness.prepared(result.jobId);
    expect(job).toMatchObject({
      status: 'running',
      kind: 'direct',
      priority: 2,
      bytesTotal: null,
      phase: null,
    });
    expect(job.files).toEqual([
      expect.objectContaining({
        name: 'my model.safetensors',
        relativePath: 'checkpoints/my model.safetensors',
      }),
    ]);
  });

  it('falls back to "download" when the link has no file name, and sanitises a given one', async () => {
    harness = await createHarness();
    const bare = await harness.enqueuePrepared({ url: 'https://cdn.example/', folder: 'checkpoints' });
    expect(bare.job.files[0]!.relativePath).toBe('checkpoints/download');
    const named = await harness.enqueuePrepared({ url: 'https://cdn.example/x', folder: 'loras', filename: '../../.bashrc' });
    expect(named.job.files[0]!.relativePath).toBe('loras/bashrc');
  });

  it('refuses a link whose type cannot be told without a folder (FOLDER_REQUIRED): the models root is not a ComfyUI folder', async () => {
    harness = await createHarness();
    // Placing a file is part of resolving it (a link's bytes may tell its type): the job's first step.
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/weights.bin' });
    const error = await expectFailedWith(harness, jobId, 'FOLDER_REQUIRED');
    expect(error.message).toContain('Choose a folder for weights.bin');
    expect(error.message).toContain('checkpoints');
    const chosen = await harness.enqueuePrepared({ url: 'https://cdn.example/weights.bin', folder: 'upscale_models' });
    expect(chosen.job.files[0]!.relativePath).toBe('upscale_models/weights.bin');
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    harness = await createHarness({ start: false });
    const { manager } = harness;
    const notALink = await expectCode(manager.enqueue({ url: 'not a link' }), 'INVALID_URL');
    expect(notALink.message).toContain('https://');
    const ftp = await expectCode(
      manager.enqueue({ url: 'ftp://example.com/model.bin' }),
      'UNSUPPORTED_SCHEME',
    );
    expect(ftp.message).toMatch(/Only http and https/);
    await expectCode(manager.enqueue({ url: 'file:///etc/passwd' }), 'UNSUPPORTED_SCHEME');
    await expectCode(manager.enqueue({ url: '   ' }), 'INVALID_URL');
    await expectCode(
      manager.enqueue({ url: `https://x.example/${'a'.repeat(9000)}` }),
      'INVALID_URL',
    );
    await expectCode(
      manager.enqueue({ url: 'https://x.example/a', priority: -1 }),
      'INVALID_INPUT',
    );
    await expectCode(
      manager.enqueue({ url: 'https://x.example/a', priority: 1.5 }),
      'INVALID_INPUT',
    );
    await expectCode(
      manager.enqueue({ url: 'https://x.example/a', sha256: 'abc' }),
      'INVALID_INPUT',
    );
    await expectCode(
      manager.enqueue({ url: 'https://x.example/a', folder: '../outside' }),
      'PATH_OUTSIDE_ROOT',
    );
    await expectCode(
      manager.enqueue({ url: 'https://x.example/a', folder: '/etc' }),
      'PATH_OUTSIDE_ROOT',
    );
    await expectCode(
      manager.enqueue({ url: 'https://x.example/a', filename: '..' }),
      'INVALID_INPUT',
    );
    await expectCode(
      manager.enqueue({ url: 'https://x.example/a', bandwidthLimitBps: 0 }),
      'INVALID_INPUT',
    );
    await expectCode(
      manager.enqueue({ url: 'https://x.example/a', onFileFailure: 'sometimes' as 'keep' }),
      'INVALID_INPUT',
    );
    await expectNothingWritten(harness);
    expect(harness.logger.find('download request refused')?.fields).toMatchObject({
      code: 'INVALID_URL',
    });
  });

  it('refuses a folder that is a symlink leading out of the models folder', async () => {
    harness = await createHarness();
    const outside = await mkdtemp(path.join(tmpdir(), 'modeldock-outside-'));
    try {
      await symlink(outside, path.join(harness.modelsRoot, 'escape'));
      const { jobId } = await harness.manager.enqueue({
        url: 'https://x.example/a.bin',
        folder: 'escape',
      });
      await expectFailedWith(harness, jobId, 'PATH_OUTSIDE_ROOT');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('normalises a sha256 given in upper case', async () => {
    harness = await createHarness();
    const hash = sha256('x').toUpperCase();
    const { job } = await harness.enqueuePrepared({ url: 'https://x.example/a.bin', folder: 'checkpoints', sha256: hash });
    expect(job.files[0]!.expectedSha256).toBe(hash.toLowerCase());
  });
});

describe('enqueue: secrets in links', () => {
  it('stores and logs only the redacted link, and hands the real one to the byte layer', async () => {
    harness = await createHarness();
    const url = 'https://cdn.example/model.safetensors?token=supersecret123&x=1';
    const { jobId } = await harness.manager.enqueue({ url, folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    expect(call.file.url).toBe(url);
    const stored = await harness.store.getJob(jobId);
    expect(JSON.stringify(stored)).not.toContain('supersecret123');
    expect(stored!.source).toContain('token=[redacted]');
    await call.complete('bytes');
    await harness.waitForStatus(jobId, 'completed');
    expect(harness.logger.text()).not.toContain('supersecret123');
    expect(JSON.stringify(harness.events)).not.toContain('supersecret123');
    expect(JSON.stringify(harness.store.storedEvents())).not.toContain('supersecret123');
  });

  it('keeps the signature of a Google Cloud Storage signed link out of the store, logs and events too', async () => {
    harness = await createHarness();
    const signature = '5e1f0c3a9b7d2e4f6a8c0b1d3e5f7a9c';
    const url =
      'https://storage.googleapis.com/bucket/model.safetensors?X-Goog-Algorithm=GOOG4-RSA-SHA256' +
      '&X-Goog-Credential=loader%40project.iam.gserviceaccount.com%2F20250101%2Fauto%2Fstorage%2Fgoog4_request' +
      `&X-Goog-Date=20250101T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=${signature}`;
    const { jobId } = await harness.manager.enqueue({ url, folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    expect(call.file.url).toBe(url);
    const stored = await harness.store.getJob(jobId);
    expect(JSON.stringify(stored)).not.toContain(signature);
    expect(JSON.stringify(stored)).not.toContain('loader%40project');
    await call.complete('bytes');
    await harness.waitForStatus(jobId, 'completed');
    expect(harness.logger.text()).not.toContain(signature);
    expect(JSON.stringify(harness.store.storedEvents())).not.toContain(signature);
  });

  it('after a restart, asks for the link again instead of fetching a redacted one', async () => {
    harness = await createHarness({ start: false });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/m.bin?signature=abcdef123456', folder: 'checkpoints' });
    const restarted = await harness.another();
    const summary = await restarted.waitForStatus(jobId, 'failed');
    expect(summary.error?.code).toBe('SIGNED_URL_EXPIRED');
    expect(summary.error?.message).toMatch(/Paste the link again/);
    expect(restarted.transfer.calls).toHaveLength(0);
  });
});

describe('enqueue: the same destination twice', () => {
  it('attaches a second identical request to the active job instead of starting another transfer', async () => {
    harness = await createHarness({ start: false });
    const request = { url: 'https://cdn.example/model.safetensors', folder: 'checkpoints' };
    const [first, second] = await Promise.all([
      harness.manager.enqueue(request),
      harness.manager.enqueue(request),
    ]);
    // A different priority or bandwidth limit is still the same download.
    const third = await harness.manager.enqueue({
      ...request,
      folder: 'checkpoints/',
      priority: 3,
    });
    const jobIds = new Set([first.jobId, second.jobId, third.jobId]);
    expect(jobIds.size).toBe(1);
    expect([first.attached, second.attached].sort()).toEqual([false, true]);
    expect(third.attached).toBe(true);
    expect((await harness.store.listJobs({ limit: 10 })).items).toHaveLength(1);
  });

  it('fails, in its first step, another request for a file an active job already writes', async () => {
    harness = await createHarness();
    const first = await harness.enqueuePrepared({
      url: 'https://cdn.example/model.safetensors',
      folder: 'checkpoints',
    });
    const mirror = await harness.manager.enqueue({
      url: 'https://mirror.example/model.safetensors',
      folder: 'checkpoints',
    });
    expect(mirror).toMatchObject({ attached: false });
    const error = await expectCode(harness.prepared(mirror.jobId), 'DESTINATION_EXISTS');
    expect(error.message).toContain(first.jobId);
    expect(harness.transfer.calls.map((call) => call.file.url)).toEqual([
      'https://cdn.example/model.safetensors',
    ]);
  });

  it('refuses, rather than attaches, a request whose SHA-256 says it is another file than the one being written', async () => {
    harness = await createHarness();
    const first = await harness.enqueuePrepared({
      url: 'https://a.example/model.safetensors',
      folder: 'checkpoints',
      sha256: sha256('A'),
    });
    const other = await harness.manager.enqueue({
      url: 'https://b.example/model.safetensors',
      folder: 'checkpoints',
      sha256: sha256('B'),
    });
    const error = await expectCode(harness.prepared(other.jobId), 'DESTINATION_EXISTS');
    expect(error.message).toContain('checkpoints/model.safetensors');
    expect(error.message).toContain(first.jobId);
    // The same request again attaches.
    const same = await harness.manager.enqueue({
      url: 'https://a.example/model.safetensors',
      folder: 'checkpoints',
      sha256: sha256('A'),
    });
    expect([same.jobId, same.attached]).toEqual([first.jobId, true]);
  });

  it('refuses a bundle that overlaps an active job only in part', async () => {
    const resolver = bundleResolver([{ name: 'a.safetensors' }, { name: 'b.safetensors' }]);
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    await harness.enqueuePrepared({ url: 'https://cdn.example/a.safetensors', folder: 'checkpoints' });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/repo', folder: 'checkpoints' });
    const error = await expectCode(harness.prepared(jobId), 'DESTINATION_EXISTS');
    expect(error.message).toContain('a.safetensors');
  });

  it('starts a new job once the earlier one has finished', async () => {
    harness = await createHarness({ start: false });
    const first = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    await harness.manager.cancel(first.jobId);
    const second = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    expect(second).toMatchObject({ attached: false });
    expect(second.jobId).not.toBe(first.jobId);
  });
});

describe('enqueue: a file already at the destination', () => {
  it('is reported present when its SHA-256 matches, and nothing is downloaded', async () => {
    harness = await createHarness();
    await mkdir(path.join(harness.modelsRoot, 'vae'));
    await writeFile(path.join(harness.modelsRoot, 'vae', 'ae.safetensors'), 'the right bytes');
    const result = await harness.enqueuePrepared({
      url: 'https://cdn.example/ae.safetensors',
      folder: 'vae',
      sha256: sha256('the right bytes'),
    });
    const job = result.job;
    expect(job.status).toBe('completed');
    expect(job.finishedAt).not.toBeNull();
    expect(job.files[0]).toMatchObject({
      status: 'present',
      bytesDone: 15,
      bytesTotal: 15,
      sha256: sha256('the right bytes'),
    });
    expect(harness.events[0]).toMatchObject({
      type: 'created',
      job: { status: 'running', phase: { step: 'resolving' } },
    });
    expect(harness.events.at(-1)).toMatchObject({
      type: 'status',
      job: { status: 'completed', phase: null },
    });
    expect(harness.transfer.calls).toHaveLength(0);
  });

  it('is never overwritten when its SHA-256 differs: DESTINATION_EXISTS says what to do', async () => {
    harness = await createHarness();
    await mkdir(path.join(harness.modelsRoot, 'checkpoints'));
    const existing = path.join(harness.modelsRoot, 'checkpoints', 'model.safetensors');
    await writeFile(existing, 'somebody else');
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/model.safetensors', folder: 'checkpoints', sha256: sha256('expected') });
    const error = await expectFailedWith(harness, jobId, 'DESTINATION_EXISTS');
    expect(error.message).toMatch(/SHA-256 differs.*Move or delete it/);
    expect(await readFile(existing, 'utf8')).toBe('somebody else');
  });

  it('is reported present without a hash to compare, and refused when a known size differs', async () => {
    const resolver = bundleResolver([{ name: 'sized.bin', bytesTotal: 100 }]);
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    await mkdir(path.join(harness.modelsRoot, 'checkpoints'));
    await writeFile(path.join(harness.modelsRoot, 'checkpoints', 'plain.bin'), 'abc');
    const plain = await harness.enqueuePrepared({ url: 'https://cdn.example/plain.bin', folder: 'checkpoints' });
    expect(plain.job).toMatchObject({ status: 'completed', files: [{ status: 'present' }] });

    await writeFile(path.join(harness.modelsRoot, 'sized.bin'), 'too short');
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/repo' });
    const error = await expectFailedWith(harness, jobId, 'DESTINATION_EXISTS');
    expect(error.message).toMatch(/different size/);
  });

  it('refuses a destination that is a folder', async () => {
    harness = await createHarness();
    await mkdir(path.join(harness.modelsRoot, 'checkpoints', 'model.bin'), { recursive: true });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/model.bin', folder: 'checkpoints' });
    await expectFailedWith(harness, jobId, 'DESTINATION_EXISTS');
  });

  it('in a large bundle, names the first file in order whose destination is taken, whatever finishes checking first', async () => {
    const names = Array.from(
      { length: 40 },
      (_, index) => `part-${String(index).padStart(2, '0')}.bin`,
    );
    const resolver = bundleResolver(names.map((name) => ({ name, bytesTotal: 5 })));
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    await writeFile(path.join(harness.modelsRoot, 'part-31.bin'), 'wrong size');
    await writeFile(path.join(harness.modelsRoot, 'part-07.bin'), 'wrong size too');
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/repo' });
    const error = await expectFailedWith(harness, jobId, 'DESTINATION_EXISTS');
    expect(error.message).toContain('part-07.bin');
    expect((await harness.manager.getJob(jobId)).files).toEqual([]);
  });

  it('in a bundle, marks only the present files and downloads the rest', async () => {
    const resolver = bundleResolver([
      { name: 'a.safetensors', sha256: sha256('A') },
      { name: 'b.safetensors', sha256: sha256('B') },
    ]);
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    await mkdir(path.join(harness.modelsRoot, 'unit'));
    await writeFile(path.join(harness.modelsRoot, 'unit', 'a.safetensors'), 'A');
    const result = await harness.manager.enqueue({ url: 'hf:org/repo', folder: 'unit' });
    const call = await harness.transfer.call(0);
    expect(call.file.relativePath).toBe('unit/b.safetensors');
    await call.complete('B');
    const job = await harness.waitForStatus(result.jobId, 'completed');
    expect(job.files.map((file) => file.status)).toEqual(['present', 'completed']);
    expect(harness.transfer.calls).toHaveLength(1);
  });
});

describe('enqueue: resolvers', () => {
  it('uses the first resolver that accepts the input and passes it the validated request', async () => {
    const resolver = bundleResolver([{ name: 'x.gguf', bytesTotal: 10 }]);
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    const { job } = await harness.enqueuePrepared({
      url: 'hf:org/repo',
      folder: 'llm/',
      priority: 1,
    });
    expect(resolver.requests[0]).toMatchObject({ url: 'hf:org/repo', folder: 'llm', priority: 1 });
    expect(job).toMatchObject({ kind: 'huggingface', source: 'hf:org/repo', bytesTotal: 10 });
    expect(job.files[0]!.relativePath).toBe('llm/x.gguf');
  });

  it('fails the job with a resolver failure, coded, without a transfer', async () => {
    const failing: SourceResolver = {
      kind: 'huggingface',
      accepts: () => true,
      resolve: async () => {
        throw new ModeldockError(
          'GATED_REPO',
          'This repository is gated: request access at https://huggingface.co/org/repo',
        );
      },
    };
    harness = await createHarness({ extra: { resolvers: [failing] } });
    const { jobId } = await harness.manager.enqueue({ url: 'https://huggingface.co/org/repo' });
    const error = await expectFailedWith(harness, jobId, 'GATED_REPO');
    expect(error.message).toMatch(/request access/);
    const failed = harness.events.filter((event) => event.jobId === jobId).at(-1);
    expect(failed).toMatchObject({
      type: 'status',
      job: { status: 'failed', error: { code: 'GATED_REPO' } },
    });
  });

  it('refuses a resolver answer with no files, a duplicate destination or a path outside the root', async () => {
    const answers: ResolvedSource[] = [
      { kind: 'x', source: 's', files: [] },
      {
        kind: 'x',
        source: 's',
        files: ['a', 'a'].map((name) => ({
          url: 'https://x/a',
          name,
          relativePath: name,
          bytesTotal: null,
          expectedSha256: null,
          credential: null,
          revision: null,
          access: 'ok' as const,
        })),
      },
      {
        kind: 'x',
        source: 's',
        files: [
          {
            url: 'https://x/a',
            name: 'a',
            relativePath: '../a',
            bytesTotal: null,
            expectedSha256: null,
            credential: null,
            revision: null,
            access: 'ok',
          },
        ],
      },
    ];
    const resolver: SourceResolver = {
      kind: 'x',
      accepts: () => true,
      resolve: async () => answers.shift()!,
    };
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    for (const [url, code] of [
      ['x:1', 'INVALID_INPUT'],
      ['x:2', 'INVALID_INPUT'],
      ['x:3', 'PATH_OUTSIDE_ROOT'],
    ] as const) {
      const { jobId } = await harness.manager.enqueue({ url });
      await expectFailedWith(harness, jobId, code);
    }
  });
});

describe("enqueue: an error recording the first step's outcome (issue 9.4)", () => {
  it('fails the job with the coded error, and no file is recorded', async () => {
    // PostgreSQL refuses NUL in text; this store does the same for warnings.
    class NulRefusingStore extends MemoryJobStore {
      override async addPreparedFiles(...args: Parameters<MemoryJobStore['addPreparedFiles']>) {
        if (args[2].warnings?.some((warning) => warning.includes('\u0000'))) {
          throw new ModeldockError(
            'DATABASE_UNAVAILABLE',
            'invalid byte sequence for encoding "UTF8": 0x00',
          );
        }
        return super.addPreparedFiles(...args);
      }
    }
    const resolver: SourceResolver = {
      kind: 'civitai',
      accepts: (input) => input.startsWith('x:'),
      resolve: async (request) => ({
        kind: 'civitai',
        source: request.url,
        files: [
          {
            url: 'https://cdn.example/a.safetensors',
            name: 'a.safetensors',
            relativePath: 'loras/a.safetensors',
            bytesTotal: null,
            expectedSha256: null,
            credential: null,
            revision: null,
            access: 'ok',
          },
        ],
        warnings: ['a scan of a\u0000.safetensors reports "Danger"'],
      }),
    };
    harness = await createHarness({
      store: new NulRefusingStore(),
      extra: { resolvers: [resolver] },
    });
    const { jobId } = await harness.manager.enqueue({ url: 'x:1' });
    await expectFailedWith(harness, jobId, 'DATABASE_UNAVAILABLE');
    expect((await harness.manager.getJob(jobId)).files).toEqual([]);
  });
});
