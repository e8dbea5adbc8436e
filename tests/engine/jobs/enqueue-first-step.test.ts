/**
 * Issue 9.7: `enqueue` returns as soon as the request is validated. Resolving the source and
 * hashing a file already at the destination are the job's first step (`phase`), with their
 * progress and errors on the job, redone after a crash by whichever worker takes the job.
 * Slow work is simulated with promises the test releases, never with timing.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModeldockError, relativeDestination } from '@modeldock/engine';
import type { EnqueueRequest, FileSystem, ResolvedSource, SourceResolver } from '@modeldock/engine';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';
import { createHarness, waitUntil } from './helpers/harness';
import type { Harness } from './helpers/harness';

let harness: Harness;
let temporary: string | null = null;
afterEach(async () => {
  await harness?.dispose();
  if (temporary) await rm(temporary, { recursive: true, force: true });
  temporary = null;
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface Gate {
  opened: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** A Hub stand-in whose answers wait for the test: `calls` counts resolve calls, `release` answers them. */
function blockingResolver(answer: (request: EnqueueRequest) => ResolvedSource | Error) {
  const gates: Gate[] = [];
  const resolver: SourceResolver & {
    calls: number;
    release(n: number): void;
    started(n: number): Promise<void>;
  } = {
    kind: 'huggingface',
    calls: 0,
    accepts: (input) => input.startsWith('hf:'),
    checkInput(request) {
      if (request.url === 'hf:')
        throw new ModeldockError('INVALID_INPUT', 'Name a repository after hf:');
    },
    async resolve(request, context) {
      const mine = (gates[resolver.calls] ??= gate());
      resolver.calls++;
      await Promise.race([
        mine.opened,
        new Promise((_, reject) =>
          context.signal?.addEventListener('abort', () => reject(context.signal!.reason)),
        ),
      ]);
      const result = answer(request);
      if (result instanceof Error) throw result;
      return result;
    },
    release(n) {
      (gates[n] ??= gate()).open();
    },
    started: (n) => waitUntil(() => resolver.calls > n, `resolve call #${n}`),
  };
  return resolver;
}

function oneFile(
  request: EnqueueRequest,
  extra: { bytesTotal?: number; sha256?: string } = {},
): ResolvedSource {
  return {
    kind: 'huggingface',
    source: `hf://${request.url.slice(3)}@main`,
    files: [
      {
        url: 'https://hub.example/model.safetensors',
        name: 'model.safetensors',
        relativePath: relativeDestination(request.folder ?? '', 'model.safetensors'),
        bytesTotal: extra.bytesTotal ?? null,
        expectedSha256: extra.sha256 ?? null,
        credential: 'huggingface',
        revision: 'abc123',
        access: 'ok',
      },
    ],
  };
}

/** A file system whose reads of `blockedPath` wait for the gate. */
function fsBlockingReadsOf(
  blockedPath: string,
  readGate: Gate,
  reads: { count: number },
): FileSystem {
  const real = nodeFileSystemForTests();
  return {
    ...real,
    async open(file, flags) {
      const handle = await real.open(file, flags);
      if (file !== blockedPath) return handle;
      return {
        ...handle,
        read: async (...args: Parameters<typeof handle.read>) => {
          reads.count++;
          await readGate.opened;
          return handle.read(...args);
        },
        write: handle.write.bind(handle),
        sync: handle.sync.bind(handle),
        truncate: handle.truncate.bind(handle),
        stat: handle.stat.bind(handle),
        close: handle.close.bind(handle),
      };
    },
  };
}

describe('enqueue returns before the slow work (issue 9.7)', () => {
  it('returns the job id while the resolver has not answered; the job shows "resolving", then its files', async () => {
    const resolver = blockingResolver((request) => oneFile(request, { bytesTotal: 7 }));
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    const result = await harness.manager.enqueue({ url: 'hf:org/model', folder: 'checkpoints' });
    expect(result).toEqual({ jobId: result.jobId, attached: false });
    await resolver.started(0);
    const resolving = await harness.manager.getJob(result.jobId);
    expect(resolving).toMatchObject({ status: 'running', phase: { step: 'resolving' }, files: [] });
    expect(harness.events[0]).toMatchObject({
      type: 'created',
      job: { phase: { step: 'resolving' } },
    });
    expect(harness.transfer.calls).toHaveLength(0);

    resolver.release(0);
    const call = await harness.transfer.call(0);
    expect(call.file.relativePath).toBe('checkpoints/model.safetensors');
    const running = await harness.manager.getJob(result.jobId);
    expect(running).toMatchObject({
      status: 'running',
      phase: null,
      source: 'hf://org/model@main',
      bytesTotal: 7,
    });
    await call.complete('1234567');
    await harness.waitForStatus(result.jobId, 'completed');
  });

  it('still refuses input it can judge without the network, recording nothing', async () => {
    const resolver = blockingResolver((request) => oneFile(request));
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    await expect(harness.manager.enqueue({ url: 'hf:' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      harness.manager.enqueue({ url: 'hf:org/model', priority: -1 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await harness.store.listJobs({ limit: 10 })).items).toEqual([]);
    expect(resolver.calls).toBe(0);
  });

  it('fails the job, not the call, with the coded error of a resolver that fails later', async () => {
    const resolver = blockingResolver(
      () => new ModeldockError('GATED_REPO', 'This repository is gated: request access first'),
    );
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/gated' });
    await resolver.started(0);
    resolver.release(0);
    const failed = await harness.waitForStatus(jobId, 'failed');
    expect(failed.error).toMatchObject({
      code: 'GATED_REPO',
      message: 'This repository is gated: request access first',
    });
    // A failed job shows its error, not a step still under way; Retry runs the step again.
    expect(failed.phase).toBeNull();
    expect(harness.events.at(-1)).toMatchObject({
      type: 'status',
      job: { status: 'failed', error: { code: 'GATED_REPO' } },
    });
    await harness.manager.retry(jobId);
    await resolver.started(1);
    expect(await harness.manager.getJob(jobId)).toMatchObject({
      status: 'running',
      phase: { step: 'resolving' },
    });
  });

  it('returns before a file already at the destination is hashed; the hash is the job\'s "verifying-existing" step', async () => {
    const content = 'the bytes already on disk';
    const readGate = gate();
    const reads = { count: 0 };
    const resolver = blockingResolver((request) => oneFile(request, { sha256: sha256(content) }));
    resolver.release(0);
    const modelsRoot = path.join(
      await realpath(await mkdtemp(path.join(tmpdir(), 'modeldock-first-step-'))),
      'models',
    );
    temporary = path.dirname(modelsRoot);
    const target = path.join(modelsRoot, 'vae', 'model.safetensors');
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    harness = await createHarness({
      modelsRoot,
      fs: fsBlockingReadsOf(target, readGate, reads),
      extra: { resolvers: [resolver] },
    });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/model', folder: 'vae' });
    await waitUntil(() => reads.count > 0, 'the existing file to be read');
    const verifying = await harness.manager.getJob(jobId);
    expect(verifying).toMatchObject({
      status: 'running',
      phase: { step: 'verifying-existing', bytesTotal: content.length },
    });
    expect(verifying.phase?.detail).toContain('vae/model.safetensors');
    expect(
      harness.events.some(
        (event) => event.type === 'updated' && event.job?.phase?.step === 'verifying-existing',
      ),
    ).toBe(true);

    readGate.open();
    const done = await harness.waitForStatus(jobId, 'completed');
    expect(done.files[0]).toMatchObject({ status: 'present', sha256: sha256(content) });
    expect(harness.transfer.calls).toHaveLength(0);
  });

  it('is redone by another worker when the one resolving died (its lease lapsed)', async () => {
    const resolverA = blockingResolver((request) => oneFile(request));
    harness = await createHarness({ extra: { resolvers: [resolverA] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/model', folder: 'loras' });
    await resolverA.started(0);
    // Worker A hangs in its first step and stops renewing: its lease lapses.
    harness.store.expireLease(jobId);
    const resolverB = blockingResolver((request) => oneFile(request));
    resolverB.release(0);
    const b = await harness.another({ extra: { resolvers: [resolverB] } });
    const call = await b.transfer.call(0);
    expect(call.file.relativePath).toBe('loras/model.safetensors');
    expect(await harness.store.getJob(jobId)).toMatchObject({
      leaseOwner: 'worker-b',
      phase: null,
    });
    // A's late answer is not recorded: the job is B's now.
    resolverA.release(0);
    await waitUntil(
      () => harness.logger.find('job lease lost') !== undefined,
      'worker A to notice',
    );
    expect((await harness.store.getJob(jobId))!.files).toHaveLength(1);
    await call.complete('x');
    await b.waitForStatus(jobId, 'completed');
  });

  it('after a shutdown in the middle of it, goes back to the queue and runs again at the next start', async () => {
    const resolver = blockingResolver((request) => oneFile(request));
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/model' });
    await resolver.started(0);
    await harness.manager.stop();
    expect(await harness.store.getJob(jobId)).toMatchObject({
      status: 'queued',
      leaseOwner: null,
      phase: { step: 'resolving' },
    });
    resolver.release(1);
    const restarted = await harness.another({ extra: { resolvers: [resolver] } });
    const call = await restarted.transfer.call(0);
    expect(call.file.relativePath).toBe('model.safetensors');
    expect(await harness.store.getJob(jobId)).toMatchObject({ status: 'running', phase: null });
  });

  it('a pause during the step stops it; resume runs it again', async () => {
    const resolver = blockingResolver((request) => oneFile(request));
    harness = await createHarness({ extra: { resolvers: [resolver] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/model' });
    await resolver.started(0);
    expect(await harness.manager.pause(jobId)).toMatchObject({
      status: 'paused',
      phase: { step: 'resolving' },
    });
    resolver.release(1);
    await harness.manager.resume(jobId);
    await harness.transfer.call(0);
    expect(resolver.calls).toBe(2);
  });
});
