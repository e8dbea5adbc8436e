import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHuggingFaceResolver, linkHfCacheFile, linkHfCacheSnapshot } from '@modeldock/engine';
import type { FileSystem, HuggingFaceResolver, ResolvedSource } from '@modeldock/engine';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { nodeFileSystemForTests, withoutSymlinks } from '../support/node-fs-for-tests';
import { createResolveContext, rejectionOf } from './helpers/resolve-context';
import type { TestResolveContext } from './helpers/resolve-context';
import { bytesFor, seedHub } from './helpers/hf-fixtures';

let hub: FakeHuggingFace;
let resolver: HuggingFaceResolver;
let context: TestResolveContext;
const fsWithLinks: FileSystem = { ...nodeFileSystemForTests(), symlink: (target, linkPath) => symlink(target, linkPath) };

beforeAll(async () => {
  hub = await startFakeHuggingFace({ treePageSize: 3 });
  seedHub(hub);
  hub.addRepo({
    id: 'dupes/same-bytes',
    files: [
      { path: 'a/model.safetensors', content: bytesFor('same') },
      { path: 'b/model.safetensors', content: bytesFor('same') },
    ],
  });
  resolver = createHuggingFaceResolver({ endpoint: hub.url, retry: { attempts: 1 } });
});

afterAll(async () => {
  await hub.close();
});

beforeEach(async () => {
  context = await createResolveContext();
});

afterEach(async () => {
  await context.cleanup();
});

/** Puts each blob where the byte layer would, then runs the post-completion hook on it. */
async function completeAll(result: ResolvedSource, repoId: string): Promise<void> {
  for (const file of result.files) {
    const repoPath = decodeURIComponent(file.url.split(`/resolve/${file.revision}/`)[1]!);
    const target = path.join(context.modelsRoot, file.relativePath);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, hub.repo(repoId).file(repoPath, file.revision!).bytes);
    const linked = await linkHfCacheFile({ source: result.source }, file, { fs: fsWithLinks, modelsRoot: context.modelsRoot });
    expect(linked).toBe(true);
  }
}

describe('the Hugging Face cache layout', () => {
  it('plans blobs/<etag> and, after completion, snapshots/<commit>/<path> links and refs/<revision>', async () => {
    const repoId = 'black-forest-labs/FLUX.1-schnell';
    const result = await resolver.resolve({ url: repoId, layout: 'hf-cache' }, context);
    const commit = hub.repo(repoId).head();
    const repoDir = path.join(context.modelsRoot, 'huggingface/hub/models--black-forest-labs--FLUX.1-schnell');
    const lfsAe = hub.repo(repoId).file('ae.safetensors');
    const regularConfig = hub.repo(repoId).file('vae/config.json');
    expect(result.files.map((file) => file.relativePath)).toContain(`huggingface/hub/models--black-forest-labs--FLUX.1-schnell/blobs/${lfsAe.sha256}`);
    expect(result.files.map((file) => file.relativePath)).toContain(`huggingface/hub/models--black-forest-labs--FLUX.1-schnell/blobs/${regularConfig.gitSha1}`);
    expect(result.files.find((file) => file.relativePath.endsWith(lfsAe.sha256))!.name).toBe('ae.safetensors');

    await completeAll(result, repoId);

    expect(await readlink(path.join(repoDir, 'snapshots', commit, 'ae.safetensors'))).toBe(`../../blobs/${lfsAe.sha256}`);
    expect(await readlink(path.join(repoDir, 'snapshots', commit, 'vae/config.json'))).toBe(`../../../blobs/${regularConfig.gitSha1}`);
    expect(await readFile(path.join(repoDir, 'snapshots', commit, 'vae/config.json'), 'utf8')).toBe('{"latent_channels":16}');
    expect(await readFile(path.join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);

    // Running the hook again changes nothing and does not fail.
    await completeAll(result, repoId);
    expect(await readFile(path.join(repoDir, 'snapshots', commit, 'ae.safetensors'))).toEqual(lfsAe.bytes);
  });

  it('writes no ref when a commit was asked for (refs/ still exists, empty), and refs/<tag> for a tag', async () => {
    const repoId = 'black-forest-labs/FLUX.1-schnell';
    const commit = hub.repo(repoId).head('v1.0');
    const byCommit = await resolver.resolve({ url: `${repoId}/ae.safetensors`, revision: commit, layout: 'hf-cache' }, context);
    await completeAll(byCommit, repoId);
    const refsDir = path.join(context.modelsRoot, 'huggingface/hub/models--black-forest-labs--FLUX.1-schnell/refs');
    // Scanners (huggingface.js scanCacheDir) drop a repository folder that has no refs/.
    expect((await lstat(refsDir)).isDirectory()).toBe(true);
    expect(await readdir(refsDir)).toEqual([]);
    const byTag = await resolver.resolve({ url: `${repoId}/ae.safetensors`, revision: 'v1.0', layout: 'hf-cache', folder: 'cache' }, context);
    expect(byTag.files[0]!.relativePath.startsWith('cache/models--black-forest-labs--FLUX.1-schnell/blobs/')).toBe(true);
    await completeAll(byTag, repoId);
    expect(await readFile(path.join(context.modelsRoot, 'cache/models--black-forest-labs--FLUX.1-schnell/refs/v1.0'), 'utf8')).toBe(commit);
  });

  it('stores identical content in one blob, and still gives every repository path its snapshot entry', async () => {
    const repoId = 'dupes/same-bytes';
    const result = await resolver.resolve({ url: repoId, layout: 'hf-cache' }, context);
    const repoDir = path.join(context.modelsRoot, 'huggingface/hub/models--dupes--same-bytes');
    const blobs = result.files.filter((file) => file.relativePath.includes('/blobs/'));
    expect(blobs).toHaveLength(1);

    // Every file lands where the byte layer would put it; blobs then get their snapshot links.
    for (const file of result.files) {
      const repoPath = decodeURIComponent(file.url.split(`/resolve/${file.revision}/`)[1]!);
      const target = path.join(context.modelsRoot, file.relativePath);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, hub.repo(repoId).file(repoPath, file.revision!).bytes);
      await linkHfCacheFile({ source: result.source }, file, { fs: fsWithLinks, modelsRoot: context.modelsRoot });
    }

    // diffusers and transformers look a file up by its path in the snapshot: both paths must be there.
    const commit = hub.repo(repoId).head();
    const same = bytesFor('same');
    expect(await readFile(path.join(repoDir, 'snapshots', commit, 'a/model.safetensors'))).toEqual(same);
    expect(await readFile(path.join(repoDir, 'snapshots', commit, 'b/model.safetensors'))).toEqual(same);
    expect(new Set(result.files.map((file) => file.relativePath)).size).toBe(result.files.length);
  });

  it('refuses a chosen file name', async () => {
    const error = await rejectionOf(resolver.resolve({ url: 'dupes/same-bytes/a/model.safetensors', layout: 'hf-cache', filename: 'x.safetensors' }, context));
    expect(error.code).toBe('INVALID_INPUT');
  });

  it('leaves a real file at a snapshot path alone, and ignores files that are not cache blobs', async () => {
    const repoId = 'leejet/Z-Image-Turbo-GGUF';
    const result = await resolver.resolve({ url: `${repoId}/README.md`, layout: 'hf-cache' }, context);
    const commit = result.files[0]!.revision!;
    const snapshot = path.join(context.modelsRoot, 'huggingface/hub/models--leejet--Z-Image-Turbo-GGUF/snapshots', commit, 'README.md');
    await mkdir(path.dirname(snapshot), { recursive: true });
    await writeFile(snapshot, 'placed by hand');
    await completeAll(result, repoId);
    expect(await readFile(snapshot, 'utf8')).toBe('placed by hand');

    const comfy = await resolver.resolve({ url: `${repoId}/README.md`, folder: 'docs' }, context);
    expect(await linkHfCacheFile({ source: comfy.source }, comfy.files[0]!, { fs: fsWithLinks, modelsRoot: context.modelsRoot })).toBe(false);
  });

  it('says what is wrong when the blob is missing or the file system cannot link', async () => {
    const entry = {
      cacheFolder: 'huggingface/hub',
      repoType: 'model' as const,
      repoId: 'org/name',
      commit: 'a'.repeat(40),
      ref: 'main',
      path: 'model.safetensors',
      blob: 'b'.repeat(64),
    };
    expect((await rejectionOf(linkHfCacheSnapshot(fsWithLinks, context.modelsRoot, entry))).code).toBe('IO_ERROR');
    const blob = path.join(context.modelsRoot, 'huggingface/hub/models--org--name/blobs', entry.blob);
    await mkdir(path.dirname(blob), { recursive: true });
    await writeFile(blob, 'x');
    const noLinks = await rejectionOf(linkHfCacheSnapshot(withoutSymlinks(nodeFileSystemForTests()), context.modelsRoot, entry));
    expect(noLinks.code).toBe('IO_ERROR');
    expect(noLinks.message).toContain('symbolic links');
    expect((await rejectionOf(linkHfCacheSnapshot(fsWithLinks, context.modelsRoot, { ...entry, path: '../escape' }))).code).toBe('INVALID_INPUT');
    expect((await rejectionOf(linkHfCacheSnapshot(fsWithLinks, context.modelsRoot, { ...entry, commit: 'main' }))).code).toBe('INVALID_INPUT');
    expect((await rejectionOf(linkHfCacheSnapshot(fsWithLinks, context.modelsRoot, { ...entry, ref: 'x/../../y' }))).code).toBe('INVALID_INPUT');
  });
});
