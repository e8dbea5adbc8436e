import { mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileSystem, ResolvedSource, SourceResolver } from '@modeldock/engine';
import { nodeFileSystemForTests, withoutSymlinks } from '../../support/node-fs-for-tests';
import { createHarness } from './helpers/harness';
import type { Harness } from './helpers/harness';

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
    const result = await harness.manager.enqueue({ url: 'hf:org/name' });
    expect(result.alreadyPresent).toBe(true);
    const snapshot = path.join(harness.modelsRoot, REPO, 'snapshots', COMMIT, 'model.safetensors');
    expect(await readFile(snapshot, 'utf8')).toBe('weights');
  });

  it('only logs when a present blob cannot be linked', async () => {
    harness = await createHarness({ fs: withoutSymlinks(nodeFileSystemForTests()), extra: { resolvers: [hfCacheResolver] } });
    await mkdir(path.join(harness.modelsRoot, REPO, 'blobs'), { recursive: true });
    await writeFile(path.join(harness.modelsRoot, REPO, 'blobs', BLOB), 'weights');
    const result = await harness.manager.enqueue({ url: 'hf:org/name' });
    expect(result.alreadyPresent).toBe(true);
    expect(harness.logger.find('could not link a present file into the Hugging Face cache')).toBeDefined();
  });
});
