/**
 * The bundle resolver: each item goes to the resolver that takes its input, with its own folder,
 * file name, hash and file choice; the files come back as one 'bundle'; an item naming several files,
 * an empty or oversized list, are refused.
 */
import { describe, expect, it } from 'vitest';
import { createBundleResolver, MAX_BUNDLE_ITEMS } from '@modeldock/engine';
import type {
  EnqueueRequest,
  ResolveContext,
  ResolvedSource,
  SourceResolver,
} from '@modeldock/engine';

function fakeResolver(
  kind: string,
  prefix: string,
  files = 1,
): SourceResolver & { seen: EnqueueRequest[] } {
  const seen: EnqueueRequest[] = [];
  return {
    kind,
    seen,
    accepts: (input) => input.startsWith(prefix),
    async resolve(request): Promise<ResolvedSource> {
      seen.push(request);
      return {
        kind,
        source: request.url,
        files: Array.from({ length: files }, (_, index) => ({
          url: `https://${kind}.example/${index}`,
          name: request.filename ?? 'x',
          relativePath: `${request.folder}/${request.filename ?? 'x'}`,
          bytesTotal: 10,
          expectedSha256: null,
          credential: null,
          revision: null,
          access: 'ok' as const,
        })),
        warnings: [`${kind} warning`],
      };
    },
  };
}

const context = {} as ResolveContext;

describe('bundle resolver', () => {
  it('resolves every item with its own resolver and destination', async () => {
    const hub = fakeResolver('hub', 'hf://');
    const civitai = fakeResolver('civitai', 'civitai:');
    const bundle = createBundleResolver([hub, civitai]);
    expect(bundle.accepts('bundle:import')).toBe(true);
    expect(bundle.accepts('bundle:../x')).toBe(false);
    expect(bundle.accepts('https://example.com/bundle:x')).toBe(false);
    const resolved = await bundle.resolve(
      {
        url: 'bundle:workflow',
        bundle: [
          {
            input: 'hf://a/b/c.safetensors',
            folder: 'diffusion_models',
            filename: 'c.safetensors',
            sha256: 'a'.repeat(64),
          },
          {
            input: 'civitai:version/2',
            folder: 'loras/sub',
            filename: 'l.safetensors',
            civitaiFile: { fileId: 3 },
          },
        ],
      },
      context,
    );
    expect(hub.seen).toEqual([
      {
        url: 'hf://a/b/c.safetensors',
        folder: 'diffusion_models',
        filename: 'c.safetensors',
        sha256: 'a'.repeat(64),
      },
    ]);
    expect(civitai.seen).toEqual([
      {
        url: 'civitai:version/2',
        folder: 'loras/sub',
        filename: 'l.safetensors',
        civitaiFile: { fileId: 3 },
      },
    ]);
    expect(resolved.kind).toBe('bundle');
    expect(resolved.source).toBe('bundle:workflow');
    expect(resolved.files.map((file) => [file.relativePath, file.expectedSha256])).toEqual([
      ['diffusion_models/c.safetensors', 'a'.repeat(64)],
      ['loras/sub/l.safetensors', null],
    ]);
    expect(resolved.warnings).toEqual(['hub warning', 'civitai warning']);
  });

  it('refuses an empty list, too many items and an item naming several files', async () => {
    const bundle = createBundleResolver([fakeResolver('repo', 'hf://', 2)]);
    await expect(bundle.resolve({ url: 'bundle:x' }, context)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(bundle.resolve({ url: 'bundle:x', bundle: [] }, context)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    const many = Array.from({ length: MAX_BUNDLE_ITEMS + 1 }, () => ({
      input: 'hf://a/b',
      folder: 'x',
    }));
    await expect(bundle.resolve({ url: 'bundle:x', bundle: many }, context)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      bundle.resolve({ url: 'bundle:x', bundle: [{ input: 'hf://a/b', folder: 'x' }] }, context),
    ).rejects.toThrow(/names 2 files/);
  });
});
