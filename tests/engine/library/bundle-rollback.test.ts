/**
 * `rollback` of a failed or cancelled download of several files: it deletes exactly the files that
 * job completed (a reused link included), never one it found already present nor one changed since,
 * says so on the job, and leaves the job retryable. Anything else is INVALID_STATE.
 */
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ModeldockError } from '@modeldock/engine';
import type { ResolvedSource, SourceResolver } from '@modeldock/engine';
import { waitUntil } from '../jobs/helpers/harness';
import type { TransferCall } from '../jobs/helpers/fake-transfer';
import { sha256Of } from './helpers/library-fixture';
import { createManagerFixture } from './helpers/manager-fixture';
import type { ManagerFixture } from './helpers/manager-fixture';

let fixture: ManagerFixture | null = null;

afterEach(async () => {
  await fixture?.dispose();
  fixture = null;
});

const CONTENT: Record<string, string> = {
  'a.gguf': 'file a',
  'b.gguf': 'file b',
  'c.gguf': 'file c',
};

/** bundle:<names> → those files under "bundle/", each with its size and SHA-256. */
const bundleResolver: SourceResolver = {
  kind: 'bundle',
  accepts: (input) => input.startsWith('bundle:'),
  async resolve(request): Promise<ResolvedSource> {
    const names = request.url.slice('bundle:'.length).split(',');
    return {
      kind: 'bundle',
      source: request.url,
      files: names.map((name) => ({
        url: `https://cdn.example/${name}`,
        name,
        relativePath: `bundle/${name}`,
        bytesTotal: CONTENT[name]!.length,
        expectedSha256: sha256Of(CONTENT[name]!),
        credential: null,
        revision: null,
        access: 'ok' as const,
      })),
    };
  },
};

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModeldockError);
  return (error as ModeldockError).code;
}

/** a completes, b fails for good, c was already on disk: a failed bundle with one completed file. */
async function failedBundle(): Promise<{ f: ManagerFixture; jobId: string }> {
  const f = (fixture = await createManagerFixture({
    before: { 'bundle/c.gguf': CONTENT['c.gguf']! },
    extra: { resolvers: [bundleResolver] },
  }));
  f.harness.transfer.autoComplete = (call: TransferCall) =>
    call.file.name === 'b.gguf'
      ? call.fail(new ModeldockError('REMOTE_NOT_FOUND', 'b.gguf is gone from the server'))
      : call.complete(CONTENT[call.file.name]!);
  const { jobId } = await f.harness.manager.enqueue({ url: 'bundle:a.gguf,b.gguf,c.gguf' });
  await f.harness.waitForStatus(jobId, 'failed');
  return { f, jobId };
}

describe('rolling back a bundle', () => {
  it('deletes only the files the job completed, says so on the job, and a retry downloads them again', async () => {
    const { f, jobId } = await failedBundle();
    const before = await f.harness.manager.getJob(jobId);
    expect(before.files.map((file) => file.status)).toEqual(['completed', 'failed', 'present']);
    await waitUntil(
      async () => (await f.index.get('bundle/a.gguf')) !== null,
      'a.gguf to be indexed',
    );
    const eventsBefore = f.harness.events.length;

    const job = await f.harness.manager.rollback(jobId);

    expect(job.status).toBe('failed');
    expect(job.files.map((file) => [file.name, file.status, file.bytesDone])).toEqual([
      ['a.gguf', 'cancelled', 0],
      ['b.gguf', 'failed', 0],
      ['c.gguf', 'present', CONTENT['c.gguf']!.length],
    ]);
    expect(job.files[0]!.error).toMatchObject({
      code: 'CANCELLED',
      message: 'Removed by a rollback of this download',
    });
    expect(job.warnings).toContain('Rolled back: removed bundle/a.gguf');
    expect(await exists(f.absolute('bundle/a.gguf'))).toBe(false);
    expect(await readFile(f.absolute('bundle/c.gguf'), 'utf8')).toBe(CONTENT['c.gguf']);
    expect(await f.index.get('bundle/a.gguf')).toBeNull();
    expect(
      f.harness.events.slice(eventsBefore).map((event) => [event.type, event.job?.warnings]),
    ).toEqual([['updated', ['Rolled back: removed bundle/a.gguf']]]);

    // Nothing left to roll back: a second click changes nothing.
    expect((await f.harness.manager.rollback(jobId)).warnings).toEqual([
      'Rolled back: removed bundle/a.gguf',
    ]);

    f.harness.transfer.autoComplete = (call) => call.complete(CONTENT[call.file.name]!);
    await f.harness.manager.retry(jobId);
    const retried = await f.harness.waitForStatus(jobId, 'completed');
    expect(retried.files.map((file) => file.status)).toEqual(['completed', 'completed', 'present']);
    expect(await readFile(f.absolute('bundle/a.gguf'), 'utf8')).toBe(CONTENT['a.gguf']);
  });

  it('leaves a completed file that was changed since in place, and says why', async () => {
    const { f, jobId } = await failedBundle();
    await writeFile(f.absolute('bundle/a.gguf'), 'FILE A'); // same size, other bytes: someone replaced it
    await waitUntil(
      async () => (await f.index.get('bundle/a.gguf')) !== null,
      'a.gguf to be indexed',
    );
    await f.index.forget(['bundle/a.gguf']); // the index cannot vouch for it: the file is read

    const job = await f.harness.manager.rollback(jobId);
    expect(job.files[0]!.status).toBe('completed');
    expect(job.warnings).toEqual([
      'Rollback left bundle/a.gguf in place: its content changed since this download wrote it',
    ]);
    expect(await readFile(f.absolute('bundle/a.gguf'), 'utf8')).toBe('FILE A');
  });

  it('leaves a completed file whose size changed, or that became a folder; one already gone counts as removed', async () => {
    const resized = await failedBundle();
    await writeFile(resized.f.absolute('bundle/a.gguf'), 'much longer than before');
    expect((await resized.f.harness.manager.rollback(resized.jobId)).warnings).toEqual([
      'Rollback left bundle/a.gguf in place: its size changed since this download wrote it',
    ]);
    await resized.f.dispose();

    const folder = await failedBundle();
    await rm(folder.f.absolute('bundle/a.gguf'));
    await mkdir(folder.f.absolute('bundle/a.gguf'));
    expect((await folder.f.harness.manager.rollback(folder.jobId)).warnings).toEqual([
      'Rollback left bundle/a.gguf in place: it is no longer a file',
    ]);
    await folder.f.dispose();

    const gone = await failedBundle();
    await rm(gone.f.absolute('bundle/a.gguf'));
    const job = await gone.f.harness.manager.rollback(gone.jobId);
    expect(job.warnings).toEqual(['Rolled back: removed bundle/a.gguf']);
    expect(job.files[0]!.status).toBe('cancelled');
  });

  it('rolls back a cancelled bundle too', async () => {
    const f = (fixture = await createManagerFixture({ extra: { resolvers: [bundleResolver] } }));
    f.harness.transfer.autoComplete = (call) =>
      call.file.name === 'a.gguf' ? call.complete(CONTENT['a.gguf']!) : undefined;
    const { jobId } = await f.harness.manager.enqueue({ url: 'bundle:a.gguf,b.gguf' });
    await waitUntil(
      async () => (await f.harness.manager.getJob(jobId)).files[0]?.status === 'completed',
      'a.gguf to complete',
    );
    await f.harness.manager.cancel(jobId);
    const job = await f.harness.manager.rollback(jobId);
    expect(job.status).toBe('cancelled');
    expect(job.files.map((file) => file.status)).toEqual(['cancelled', 'cancelled']);
    expect(await exists(f.absolute('bundle/a.gguf'))).toBe(false);
  });

  it('is INVALID_STATE for an active or completed job and for a single file, JOB_NOT_FOUND for an unknown id', async () => {
    const f = (fixture = await createManagerFixture({ extra: { resolvers: [bundleResolver] } }));
    const running = await f.harness.manager.enqueue({ url: 'bundle:a.gguf,b.gguf' });
    await f.harness.transfer.call(0);
    const refusal = await f.harness.manager
      .rollback(running.jobId)
      .catch((error: ModeldockError) => error);
    expect(refusal).toMatchObject({ code: 'INVALID_STATE' });
    expect((refusal as ModeldockError).message).toMatch(/cancel it first/);

    f.harness.transfer.autoComplete = (call) => call.complete(CONTENT[call.file.name]!);
    for (const call of f.harness.transfer.pending()) await call.complete(CONTENT[call.file.name]!);
    await f.harness.waitForStatus(running.jobId, 'completed');
    expect(await codeOf(f.harness.manager.rollback(running.jobId))).toBe('INVALID_STATE');

    f.harness.transfer.autoComplete = (call) =>
      call.fail(new ModeldockError('REMOTE_NOT_FOUND', 'gone'));
    const single = await f.harness.manager.enqueue({ url: 'bundle:c.gguf' });
    await waitUntil(
      async () => (await f.harness.manager.getJob(single.jobId)).status === 'failed',
      'the single file to fail',
    );
    const singleRefusal = await f.harness.manager
      .rollback(single.jobId)
      .catch((error: ModeldockError) => error);
    expect(singleRefusal).toMatchObject({ code: 'INVALID_STATE' });
    expect((singleRefusal as ModeldockError).message).toMatch(/single file/);

    expect(await codeOf(f.harness.manager.rollback('no-such-job'))).toBe('JOB_NOT_FOUND');
  });

  it('an automatic rollback (onFileFailure: rollback) also forgets the removed files', async () => {
    const f = (fixture = await createManagerFixture({ extra: { resolvers: [bundleResolver] } }));
    let releaseB: (() => void) | null = null;
    f.harness.transfer.autoComplete = async (call) => {
      if (call.file.name === 'a.gguf') return call.complete(CONTENT['a.gguf']!);
      await new Promise<void>((resolve) => (releaseB = resolve));
      call.fail(new ModeldockError('REMOTE_NOT_FOUND', 'gone'));
    };
    const { jobId } = await f.harness.manager.enqueue({
      url: 'bundle:a.gguf,b.gguf',
      onFileFailure: 'rollback',
    });
    await waitUntil(
      async () => (await f.index.get('bundle/a.gguf')) !== null && releaseB !== null,
      'a.gguf to be indexed',
    );
    releaseB!();
    await waitUntil(
      async () => (await f.harness.manager.getJob(jobId)).status === 'failed',
      'the bundle to fail',
    );
    expect(await exists(f.absolute('bundle/a.gguf'))).toBe(false);
    expect(await f.index.get('bundle/a.gguf')).toBeNull();
  });
});
