import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileSystem, ResolvedFile, ResolvedSource, SourceResolver } from '@modeldock/engine';
import { nodeFileSystemForTests, withoutSymlinks } from '../../support/node-fs-for-tests';
import { createHarness } from './helpers/harness';
import type { Harness } from './helpers/harness';
import { MemoryFileIndex } from '../library/helpers/memory-file-index';

const COMMIT = 'a'.repeat(40);
const BLOB = 'b'.repeat(64);
const REPO = 'huggingface/hub/models--org--name';

let harness: Harness;
afterEach(async () => {
  await harness?.dispose();
});

/** What the Hugging Face resolver returns for `org/name` with the hf-cache layout. */
const hfCacheResolver: SourceResolver = {
  kind: 'huggingface',
  accepts: (input) => input.startsWith('hf:'),
  async resolve(): Promise<ResolvedSource> {
    return {
      kind: 'huggingface',
      source: 'hf://org/name@main/model.safetensors',
      files: [
        {
          url: `https://hub.example/org/name/resolve/${COMMIT}/model.safetensors`,
          name: 'model.safetensors',
          relativePath: `${REPO}/blobs/${BLOB}`,
          bytesTotal: null,
          expectedSha256: null,
          credential: 'huggingface',
          revision: COMMIT,
          access: 'ok',
        },
      ],
    };
  },
};

function fsWithSymlinks(): FileSystem {
  return { ...nodeFileSystemForTests(), symlink: (target, linkPath) => symlink(target, linkPath) };
}

describe('the Hugging Face cache layout', () => {
  it('links a completed blob into its snapshot and writes the ref', async () => {
    harness = await createHarness({ fs: fsWithSymlinks(), extra: { resolvers: [hfCacheResolver] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/name' });
    await (await harness.transfer.call(0)).complete('weights');
    await harness.waitForStatus(jobId, 'completed');
    const snapshot = path.join(harness.modelsRoot, REPO, 'snapshots', COMMIT, 'model.safetensors');
    expect(await readlink(snapshot)).toBe(`../../blobs/${BLOB}`);
    expect(await readFile(snapshot, 'utf8')).toBe('weights');
    expect(await readFile(path.join(harness.modelsRoot, REPO, 'refs', 'main'), 'utf8')).toBe(COMMIT);
  });

  it('fails the file with the reason when the link cannot be made, keeping the bytes recorded', async () => {
    harness = await createHarness({ fs: withoutSymlinks(nodeFileSystemForTests()), extra: { resolvers: [hfCacheResolver] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/name' });
    await (await harness.transfer.call(0)).complete('weights');
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.error?.code).toBe('IO_ERROR');
    expect(job.error?.message).toMatch(/symbolic links/);
    expect(job.files[0]).toMatchObject({ status: 'failed', bytesDone: 7 });
  });

  it('links a blob that is already present when the job is created', async () => {
    harness = await createHarness({ fs: fsWithSymlinks(), extra: { resolvers: [hfCacheResolver] } });
    await mkdir(path.join(harness.modelsRoot, REPO, 'blobs'), { recursive: true });
    await writeFile(path.join(harness.modelsRoot, REPO, 'blobs', BLOB), 'weights');
    const { job } = await harness.enqueuePrepared({ url: 'hf:org/name' });
    expect(job.files.map((file) => file.status)).toEqual(['present']);
    const snapshot = path.join(harness.modelsRoot, REPO, 'snapshots', COMMIT, 'model.safetensors');
    expect(await readFile(snapshot, 'utf8')).toBe('weights');
  });

  it('only logs when a present blob cannot be linked', async () => {
    harness = await createHarness({ fs: withoutSymlinks(nodeFileSystemForTests()), extra: { resolvers: [hfCacheResolver] } });
    await mkdir(path.join(harness.modelsRoot, REPO, 'blobs'), { recursive: true });
    await writeFile(path.join(harness.modelsRoot, REPO, 'blobs', BLOB), 'weights');
    const { job } = await harness.enqueuePrepared({ url: 'hf:org/name' });
    expect(job.files.map((file) => file.status)).toEqual(['present']);
    expect(harness.logger.find('could not link a present file into the Hugging Face cache')).toBeDefined();
  });

  it('always creates refs/, even when the commit itself was asked for and no ref is written', async () => {
    const pinned: SourceResolver = {
      ...hfCacheResolver,
      async resolve() {
        const resolved = await hfCacheResolver.resolve({ url: 'hf:org/name' }, undefined as never);
        return { ...resolved, source: `hf://org/name@${COMMIT}/model.safetensors` };
      },
    };
    harness = await createHarness({ fs: fsWithSymlinks(), extra: { resolvers: [pinned] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/name' });
    await (await harness.transfer.call(0)).complete('weights');
    await harness.waitForStatus(jobId, 'completed');
    expect((await lstat(path.join(harness.modelsRoot, REPO, 'refs'))).isDirectory()).toBe(true);
    expect(await readdir(path.join(harness.modelsRoot, REPO, 'refs'))).toEqual([]);
  });

  it('removes half-made links and refs left by a crash at start, but not fresh ones', async () => {
    harness = await createHarness({ fs: fsWithSymlinks(), start: false });
    const snapshots = path.join(harness.modelsRoot, REPO, 'snapshots', COMMIT);
    const refs = path.join(harness.modelsRoot, REPO, 'refs');
    await mkdir(snapshots, { recursive: true });
    await mkdir(refs, { recursive: true });
    const staleLink = path.join(snapshots, '.model.safetensors.123-abc.modeldock-link');
    const staleRef = path.join(refs, '.main.123-abc.modeldock-ref');
    const freshRef = path.join(refs, '.dev.456-def.modeldock-ref');
    const realLink = path.join(snapshots, 'model.safetensors');
    await symlink(`../../blobs/${BLOB}`, staleLink);
    await symlink(`../../blobs/${BLOB}`, realLink);
    await writeFile(staleRef, COMMIT);
    await writeFile(freshRef, COMMIT);
    const past = new Date(Date.now() - 60_000);
    await utimes(staleRef, past, past);
    // A symlink's own time: lutimes is not in fs/promises' typings everywhere, so age it by the link.
    const { lutimes } = await import('node:fs/promises');
    await lutimes(staleLink, past, past);
    const future = new Date(Date.now() + 60_000);
    await utimes(freshRef, future, future);

    await harness.manager.start();
    expect(await readdir(snapshots)).toEqual(['model.safetensors']);
    expect(await readdir(refs)).toEqual(['.dev.456-def.modeldock-ref']);
    expect(harness.logger.find('download manager started')?.fields).toMatchObject({
      orphanTempFilesRemoved: 2,
    });
  });
});

const WEIGHTS = 'the same weights at two paths';
const WEIGHTS_SHA = createHash('sha256').update(WEIGHTS).digest('hex');

function cacheFile(repo: string, repoPath: string, relativePath: string): ResolvedFile {
  return {
    url: `https://hub.example/${repo}/resolve/${COMMIT}/${repoPath}`,
    name: path.posix.basename(repoPath),
    relativePath,
    bytesTotal: WEIGHTS.length,
    expectedSha256: WEIGHTS_SHA,
    credential: 'huggingface',
    revision: COMMIT,
    access: 'ok',
  };
}

/** `org/<name>` with the hf-cache layout, as the resolver plans it: the second path of a blob is its twin. */
function repoResolver(paths: string[]): SourceResolver {
  return {
    kind: 'huggingface',
    accepts: (input) => input.startsWith('hf:'),
    async resolve(request): Promise<ResolvedSource> {
      const name = request.url.slice('hf:org/'.length);
      const repoFolder = `huggingface/hub/models--org--${name}`;
      return {
        kind: 'huggingface',
        source: `hf://org/${name}@main`,
        files: paths.map((repoPath, index) =>
          cacheFile(
            `org/${name}`,
            repoPath,
            index === 0 ? `${repoFolder}/blobs/${WEIGHTS_SHA}` : `${repoFolder}/snapshots/${COMMIT}/${repoPath}`,
          ),
        ),
      };
    },
  };
}

describe('the same content twice in the Hugging Face cache layout', () => {
  it('links a second path of the same blob in one job instead of downloading it', async () => {
    harness = await createHarness({ fs: fsWithSymlinks(), extra: { resolvers: [repoResolver(['a/model.safetensors', 'b/model.safetensors'])] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/name' });
    await (await harness.transfer.call(0)).complete(WEIGHTS);
    const job = await harness.waitForStatus(jobId, 'completed');
    expect(harness.transfer.calls).toHaveLength(1);
    expect(job.files.map((file) => [file.status, file.sha256, file.bytesDone])).toEqual([
      ['completed', WEIGHTS_SHA, WEIGHTS.length],
      ['completed', WEIGHTS_SHA, WEIGHTS.length],
    ]);
    const snapshots = path.join(harness.modelsRoot, REPO, 'snapshots', COMMIT);
    expect(await readlink(path.join(snapshots, 'a/model.safetensors'))).toBe(`../../../blobs/${WEIGHTS_SHA}`);
    expect(await readlink(path.join(snapshots, 'b/model.safetensors'))).toBe(`../../../blobs/${WEIGHTS_SHA}`);
    expect(await readFile(path.join(snapshots, 'b/model.safetensors'), 'utf8')).toBe(WEIGHTS);
  });

  it('fails the second path, without downloading it, when its blob failed', async () => {
    harness = await createHarness({ fs: fsWithSymlinks(), extra: { resolvers: [repoResolver(['a/model.safetensors', 'b/model.safetensors'])] } });
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/name', onFileFailure: 'keep' });
    (await harness.transfer.call(0)).fail(new Error('the disk went away'));
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(harness.transfer.calls).toHaveLength(1);
    expect(job.files[1]!.status).toBe('failed');
    expect(job.files[1]!.error?.message).toContain('did not download');
  });

  it('links a second path whose blob is already in the cache, with no transfer at all', async () => {
    harness = await createHarness({ fs: fsWithSymlinks(), extra: { resolvers: [repoResolver(['a/model.safetensors', 'b/model.safetensors'])] } });
    await mkdir(path.join(harness.modelsRoot, REPO, 'blobs'), { recursive: true });
    await writeFile(path.join(harness.modelsRoot, REPO, 'blobs', WEIGHTS_SHA), WEIGHTS);
    const { jobId } = await harness.manager.enqueue({ url: 'hf:org/name' });
    await harness.waitForStatus(jobId, 'completed');
    expect(harness.transfer.calls).toHaveLength(0);
    expect(await readFile(path.join(harness.modelsRoot, REPO, 'snapshots', COMMIT, 'b/model.safetensors'), 'utf8')).toBe(WEIGHTS);
  });

  it("links the blob another repository's cache already holds instead of downloading it again", async () => {
    harness = await createHarness({
      fs: nodeFileSystemForTests(),
      extra: { resolvers: [repoResolver(['model.safetensors'])], fileIndex: new MemoryFileIndex() },
    });
    const first = await harness.manager.enqueue({ url: 'hf:org/name' });
    await (await harness.transfer.call(0)).complete(WEIGHTS);
    await harness.waitForStatus(first.jobId, 'completed');

    const second = await harness.manager.enqueue({ url: 'hf:org/other' });
    expect(second.attached).toBe(false);
    const job = await harness.waitForStatus(second.jobId, 'completed');
    expect(harness.transfer.calls).toHaveLength(1);
    expect(job.files[0]!.sha256).toBe(WEIGHTS_SHA);
    const otherRepo = path.join(harness.modelsRoot, 'huggingface/hub/models--org--other');
    const firstBlob = await stat(path.join(harness.modelsRoot, REPO, 'blobs', WEIGHTS_SHA));
    const secondBlob = await stat(path.join(otherRepo, 'blobs', WEIGHTS_SHA));
    expect(secondBlob.ino).toBe(firstBlob.ino);
    expect(await readlink(path.join(otherRepo, 'snapshots', COMMIT, 'model.safetensors'))).toBe(`../../blobs/${WEIGHTS_SHA}`);
  });
});
