/**
 * The collection domain with fake ports: the manifest written from library rows (sources as the
 * importing machine needs them), the manifest's checks (each naming its field), the import plan
 * (present by path and hash or by hash elsewhere, missing with access, unresolved, an occupied path)
 * and the one bundle job an import enqueues.
 */
import { describe, expect, it } from 'vitest';
import {
  ModeldockError,
  bundleItemOf,
  createCollection,
  inputOfSource,
  manifestSourceOf,
  parseManifest,
} from '@modeldock/engine';
import type {
  CollectionManifest,
  CollectionPorts,
  DownloadPreview,
  EnqueueRequest,
  LibraryRow,
  PreviewRequest,
} from '@modeldock/engine';
import { FakeClock } from '../jobs/helpers/fake-clock';
import { RecordingLogger } from '../jobs/helpers/recording-logger';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const HASH_C = 'c'.repeat(64);

function row(
  relativePath: string,
  sha256: string | null,
  source: LibraryRow['source'] = null,
  status: LibraryRow['status'] = 'present',
): LibraryRow {
  return {
    id: relativePath,
    relativePath,
    folder: relativePath.split('/')[0]!,
    name: relativePath.split('/').pop()!,
    format: 'safetensors',
    sizeBytes: 100,
    mtimeMs: 0,
    inode: null,
    sha256,
    status,
    source,
    jobId: null,
    error: null,
    addedAt: new Date(0),
    updatedAt: new Date(0),
  };
}

function preview(
  access: 'ok' | 'unknown' | 'denied',
  problem: DownloadPreview['accessProblem'] = null,
): DownloadPreview {
  return {
    kind: 'direct',
    source: 'x',
    files: [
      {
        name: 'x',
        relativePath: 'x',
        bytesTotal: 1,
        estimatedBytes: null,
        expectedSha256: null,
        access,
        credential: null,
        onDisk: 'missing',
        placement: null,
        existingMatch: null,
      },
    ],
    bytesTotal: 1,
    warnings: [],
    listing: null,
    choiceRequired: null,
    accessProblem: problem,
  };
}

function fakePorts(
  rows: LibraryRow[],
  answer: (request: PreviewRequest) => Promise<DownloadPreview> = async () => preview('ok'),
) {
  const enqueued: EnqueueRequest[] = [];
  const previews: PreviewRequest[] = [];
  const ports: CollectionPorts = {
    // Pages of two, to walk more than one page.
    library: {
      async page(after, limit) {
        const sorted = [...rows].sort((a, b) => a.relativePath.localeCompare(b.relativePath));
        return sorted
          .filter((item) => after === null || item.relativePath > after)
          .slice(0, Math.min(limit, 2));
      },
    },
    async describe(entries) {
      return entries.map((entry) => ({
        ...entry,
        metadata: {
          name: `${entry.name} card`,
          versionName: null,
          type: 'LORA',
          baseModel: 'SDXL 1.0',
          trainedWords: ['w'],
          tags: [],
          description: null,
          creator: null,
          nsfwLevel: 1,
          sourceUrl: null,
          completeness: 'complete',
          missing: [],
          updatedAt: '',
        },
      }));
    },
    async preview(request) {
      previews.push(request);
      return answer(request);
    },
    async enqueue(request) {
      enqueued.push(request);
      return { jobId: 'job-1', attached: false };
    },
    clock: new FakeClock(Date.UTC(2026, 0, 2)),
    logger: new RecordingLogger(),
    generator: 'modeldock test',
  };
  return { ports, enqueued, previews };
}

function manifestOf(models: CollectionManifest['models']): CollectionManifest {
  return { schema: 'modeldock.collection', version: 1, exportedAt: '', generator: '', models };
}

function fieldError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModeldockError);
    expect((error as ModeldockError).code).toBe('INVALID_INPUT');
    return (error as ModeldockError).message;
  }
  throw new Error('expected a refusal');
}

describe('export', () => {
  it('lists present entries with their sources and, when asked, their metadata', async () => {
    const { ports } = fakePorts([
      row('loras/a.safetensors', HASH_A, {
        kind: 'civitai',
        modelId: 5,
        versionId: 6,
        url: 'https://civitai.com/api/download/models/6?type=Model&fileId=77',
      }),
      row('vae/b.safetensors', HASH_B, {
        kind: 'huggingface',
        repo: 'org/vae',
        revision: 'c'.repeat(40),
        path: 'sub/b.safetensors',
        url: null,
      }),
      row('checkpoints/gone.safetensors', HASH_C, null, 'missing'),
      row('upscale_models/by-hand.pth', null, { kind: 'disk' }),
      row('text_encoders/t.safetensors', HASH_C, {
        kind: 'url',
        url: 'https://example.com/t.safetensors',
      }),
    ]);
    const collection = createCollection(ports);
    const manifest = await collection.export();
    expect(manifest).toMatchObject({
      schema: 'modeldock.collection',
      version: 1,
      exportedAt: '2026-01-02T00:00:00.000Z',
      generator: 'modeldock test',
    });
    expect(manifest.models.map((model) => model.path)).toEqual([
      'loras/a.safetensors',
      'text_encoders/t.safetensors',
      'upscale_models/by-hand.pth',
      'vae/b.safetensors',
    ]);
    expect(manifest.models[0]).toEqual({
      path: 'loras/a.safetensors',
      sizeBytes: 100,
      sha256: HASH_A,
      source: {
        kind: 'civitai',
        modelId: 5,
        versionId: 6,
        fileId: 77,
        url: 'https://civitai.com/api/download/models/6?type=Model&fileId=77',
      },
    });
    expect(manifest.models[2]!.source).toBeNull();
    expect(manifest.models[3]!.source).toEqual({
      kind: 'huggingface',
      repo: 'org/vae',
      revision: 'c'.repeat(40),
      path: 'sub/b.safetensors',
    });
    expect('metadata' in manifest.models[0]!).toBe(false);

    const withMetadata = await collection.export({ includeMetadata: true });
    expect(withMetadata.models[0]!.metadata).toMatchObject({
      name: 'a.safetensors card',
      baseModel: 'SDXL 1.0',
      trainedWords: ['w'],
    });
    expect(withMetadata.models[0]!.metadata).not.toHaveProperty('completeness');
    // What it writes, it reads back unchanged.
    expect(parseManifest(JSON.stringify(withMetadata))).toEqual(withMetadata);
  });

  it('a Civitai source without a version is a plain link', () => {
    expect(
      manifestSourceOf({
        kind: 'civitai',
        modelId: 1,
        versionId: null,
        url: 'https://civitai.com/x',
      }),
    ).toEqual({ kind: 'url', url: 'https://civitai.com/x' });
    expect(manifestSourceOf({ kind: 'disk' })).toBeNull();
    expect(manifestSourceOf(null)).toBeNull();
  });
});

describe('the manifest checks', () => {
  const good = manifestOf([
    {
      path: 'loras/a.safetensors',
      sizeBytes: 1,
      sha256: HASH_A,
      source: { kind: 'url', url: 'https://example.com/a' },
    },
  ]);
  const withModel = (patch: Record<string, unknown>) => ({
    ...good,
    models: [{ ...good.models[0], ...patch }],
  });

  it('names the field of every refusal', () => {
    expect(fieldError(() => parseManifest('not json'))).toMatch(/^manifest: is not JSON/);
    expect(fieldError(() => parseManifest('[1]'))).toMatch(
      /^manifest: must be a JSON object \(got an array\)/,
    );
    expect(fieldError(() => parseManifest(null))).toMatch(
      /^manifest: must be a JSON object \(got null\)/,
    );
    expect(fieldError(() => parseManifest({ ...good, schema: 'x' }))).toMatch(
      /^manifest\.schema: /,
    );
    expect(fieldError(() => parseManifest({ ...good, version: 2 }))).toMatch(
      /^manifest\.version: is 2;/,
    );
    expect(fieldError(() => parseManifest({ ...good, models: {} }))).toMatch(
      /^manifest\.models: must be a list/,
    );
    expect(fieldError(() => parseManifest(withModel({ path: '../x.safetensors' })))).toMatch(
      /^manifest\.models\[0\]\.path: .*leads out/,
    );
    expect(fieldError(() => parseManifest(withModel({ path: 'loras/../../x' })))).toMatch(
      /^manifest\.models\[0\]\.path/,
    );
    expect(fieldError(() => parseManifest(withModel({ path: 'C:/x' })))).toMatch(
      /^manifest\.models\[0\]\.path/,
    );
    expect(fieldError(() => parseManifest(withModel({ path: 'loras\\x' })))).toMatch(
      /must use "\/"/,
    );
    expect(fieldError(() => parseManifest(withModel({ path: '' })))).toMatch(
      /^manifest\.models\[0\]\.path: must be a non-empty string/,
    );
    expect(fieldError(() => parseManifest(withModel({ sha256: 'ab' })))).toMatch(
      /^manifest\.models\[0\]\.sha256: must be 64 hexadecimal characters \(got 2 characters\)/,
    );
    expect(fieldError(() => parseManifest(withModel({ sha256: 'z'.repeat(64) })))).toMatch(
      /not all hexadecimal/,
    );
    expect(fieldError(() => parseManifest(withModel({ sha256: 5 })))).toMatch(
      /^manifest\.models\[0\]\.sha256/,
    );
    expect(fieldError(() => parseManifest(withModel({ sizeBytes: -1 })))).toMatch(
      /^manifest\.models\[0\]\.sizeBytes/,
    );
    expect(fieldError(() => parseManifest(withModel({ source: { kind: 'ftp' } })))).toMatch(
      /^manifest\.models\[0\]\.source\.kind/,
    );
    expect(fieldError(() => parseManifest(withModel({ source: 'x' })))).toMatch(
      /^manifest\.models\[0\]\.source: must be an object/,
    );
    expect(
      fieldError(() =>
        parseManifest(withModel({ source: { kind: 'url', url: 'file:///etc/passwd' } })),
      ),
    ).toMatch(/^manifest\.models\[0\]\.source\.url: must be an http\(s\) link/);
    expect(
      fieldError(() => parseManifest(withModel({ source: { kind: 'url', url: 'no link' } }))),
    ).toMatch(/source\.url: is not a link/);
    expect(
      fieldError(() => parseManifest(withModel({ source: { kind: 'civitai', versionId: 0 } }))),
    ).toMatch(/source\.versionId: must be a positive whole number/);
    expect(
      fieldError(() =>
        parseManifest(withModel({ source: { kind: 'huggingface', repo: 'no-slash', path: 'a' } })),
      ),
    ).toMatch(/source\.repo: must be "org\/name"/);
    expect(
      fieldError(() =>
        parseManifest(withModel({ source: { kind: 'huggingface', repo: 'a/b', path: '../a' } })),
      ),
    ).toMatch(/source\.path: is not a path inside/);
    expect(fieldError(() => parseManifest(withModel({ metadata: 'x' })))).toMatch(
      /metadata: must be an object or null/,
    );
    expect(
      fieldError(() => parseManifest({ ...good, models: [good.models[0], good.models[0]] })),
    ).toMatch(/^manifest\.models\[1\]\.path: .* is listed twice/);
    expect(fieldError(() => parseManifest(`{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`))).toMatch(
      /^manifest: is 10\.00 MB; at most 10 MB is accepted/,
    );
    expect(fieldError(() => parseManifest({ pad: 'x'.repeat(10 * 1024 * 1024) }))).toMatch(
      /^manifest: is 10\.00 MB/,
    );
  });

  it('normalises what it accepts (hash case, ./ segments) and drops metadata fields of the wrong type', () => {
    const parsed = parseManifest(
      withModel({
        path: './loras//a.safetensors',
        sha256: HASH_A.toUpperCase(),
        metadata: { name: 5, trainedWords: ['x', 3], nsfwLevel: 'high' },
      }),
    );
    expect(parsed.models[0]).toMatchObject({
      path: 'loras/a.safetensors',
      sha256: HASH_A,
      metadata: { name: null, trainedWords: ['x'], nsfwLevel: null },
    });
  });
});

describe('import', () => {
  const civitai = { kind: 'civitai' as const, modelId: 5, versionId: 6, fileId: 77, url: null };
  const manifest = manifestOf([
    { path: 'loras/here.safetensors', sizeBytes: 100, sha256: HASH_A, source: null },
    { path: 'loras/moved.safetensors', sizeBytes: 100, sha256: HASH_B, source: civitai },
    {
      path: 'vae/new.safetensors',
      sizeBytes: 100,
      sha256: HASH_C,
      source: { kind: 'huggingface', repo: 'org/vae', revision: null, path: 'new.safetensors' },
    },
    {
      path: 'checkpoints/only-old.safetensors',
      sizeBytes: 100,
      sha256: 'd'.repeat(64),
      source: null,
    },
    {
      path: 'huggingface/hub/models--org--enc/snapshots/abc/enc.safetensors',
      sizeBytes: 100,
      sha256: 'e'.repeat(64),
      source: { kind: 'huggingface', repo: 'org/enc', revision: 'abc', path: 'enc.safetensors' },
    },
    { path: 'loras/no-hash.safetensors', sizeBytes: 100, sha256: null, source: null },
    {
      path: 'loras/taken.safetensors',
      sizeBytes: 100,
      sha256: 'f'.repeat(64),
      source: { kind: 'url', url: 'https://example.com/taken' },
    },
  ]);
  const rows = [
    row('loras/here.safetensors', HASH_A),
    row('loras/elsewhere/renamed.safetensors', HASH_B),
    row('loras/no-hash.safetensors', null),
    row('loras/taken.safetensors', '0'.repeat(64)),
    row('vae/gone.safetensors', HASH_C, null, 'missing'),
  ];

  it('a dry run says what is present, missing (with where from and access) and unresolved, and enqueues nothing', async () => {
    const { ports, enqueued, previews } = fakePorts(rows);
    const result = await createCollection(ports).import({
      manifest: JSON.stringify(manifest),
      dryRun: true,
    });
    expect(result.jobId).toBeNull();
    expect(enqueued).toEqual([]);
    expect(result.present).toEqual([
      { path: 'loras/here.safetensors', sha256: HASH_A, foundAt: 'loras/here.safetensors' },
      {
        path: 'loras/moved.safetensors',
        sha256: HASH_B,
        foundAt: 'loras/elsewhere/renamed.safetensors',
      },
      { path: 'loras/no-hash.safetensors', sha256: null, foundAt: 'loras/no-hash.safetensors' },
    ]);
    expect(result.unresolved).toEqual([
      expect.objectContaining({
        path: 'checkpoints/only-old.safetensors',
        reason: expect.stringMatching(/No source is known/),
      }),
    ]);
    expect(result.missing).toEqual([
      expect.objectContaining({
        path: 'vae/new.safetensors',
        from: 'hf://org/vae@main/new.safetensors',
        access: 'ok',
        problem: null,
      }),
      expect.objectContaining({
        path: 'huggingface/hub/models--org--enc/snapshots/abc/enc.safetensors',
        from: 'hf://org/enc@abc/enc.safetensors',
        access: 'ok',
      }),
      expect.objectContaining({
        path: 'loras/taken.safetensors',
        access: 'denied',
        problem: expect.objectContaining({ code: 'DESTINATION_EXISTS' }),
      }),
    ]);
    expect(previews).toEqual([
      {
        url: 'hf://org/vae@main/new.safetensors',
        folder: 'vae',
        filename: 'new.safetensors',
        sha256: HASH_C,
      },
      {
        url: 'hf://org/enc@abc/enc.safetensors',
        folder: 'huggingface/hub',
        layout: 'hf-cache',
        sha256: 'e'.repeat(64),
      },
    ]);
  });

  it('without dryRun: one bundle job with the fetchable files, each to its manifest path and hash; denied ones left out', async () => {
    const { ports, enqueued } = fakePorts(rows, async (request) =>
      request.url.includes('org/enc')
        ? preview('denied', { code: 'GATED_REPO', message: 'Ask for access' })
        : preview('unknown'),
    );
    const result = await createCollection(ports).import({ manifest });
    expect(result.jobId).toBe('job-1');
    expect(result.missing.find((item) => item.path.includes('enc'))).toMatchObject({
      access: 'denied',
      problem: { code: 'GATED_REPO' },
    });
    expect(enqueued).toEqual([
      {
        url: 'bundle:import',
        bundle: [
          {
            input: 'hf://org/vae@main/new.safetensors',
            sha256: HASH_C,
            folder: 'vae',
            filename: 'new.safetensors',
          },
        ],
      },
    ]);
  });

  it('a hub that cannot be reached now is tried by the job; a refusal is not', async () => {
    const unreachable = manifestOf([
      {
        path: 'vae/a.safetensors',
        sizeBytes: 1,
        sha256: HASH_A,
        source: { kind: 'url', url: 'https://example.com/a' },
      },
      {
        path: 'vae/b.safetensors',
        sizeBytes: 1,
        sha256: HASH_B,
        source: { kind: 'url', url: 'https://example.com/b' },
      },
    ]);
    const { ports, enqueued } = fakePorts([], async (request) => {
      if (request.url.endsWith('/a'))
        throw new ModeldockError('NETWORK_ERROR', 'down', { retryable: true });
      throw new ModeldockError('REMOTE_NOT_FOUND', 'gone');
    });
    const result = await createCollection(ports).import({ manifest: unreachable });
    expect(result.missing.map((item) => [item.access, item.problem?.code])).toEqual([
      ['unknown', 'NETWORK_ERROR'],
      ['denied', 'REMOTE_NOT_FOUND'],
    ]);
    expect(enqueued[0]!.bundle!.map((item) => item.input)).toEqual(['https://example.com/a']);
  });

  it('nothing to fetch: no job', async () => {
    const { ports, enqueued } = fakePorts([row('loras/here.safetensors', HASH_A)]);
    const result = await createCollection(ports).import({
      manifest: manifestOf([manifest.models[0]!]),
      dryRun: false,
    });
    expect(result).toMatchObject({
      jobId: null,
      present: [expect.objectContaining({ path: 'loras/here.safetensors' })],
    });
    expect(enqueued).toEqual([]);
  });

  it('a bad manifest is refused before anything is looked up', async () => {
    const { ports, previews } = fakePorts(rows);
    await expect(
      createCollection(ports).import({ manifest: { ...manifest, version: 3 } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(previews).toEqual([]);
  });

  it('sources become inputs the resolvers take, with the Civitai file chosen by id', () => {
    expect(
      inputOfSource({ kind: 'huggingface', repo: 'a/b', revision: 'refs/pr/1', path: 'x.gguf' }),
    ).toBe('hf://a/b@refs%2Fpr%2F1/x.gguf');
    expect(
      inputOfSource({
        kind: 'civitai',
        modelId: 1,
        versionId: 2,
        fileId: null,
        url: 'https://civitai.com/api/download/models/2?type=VAE',
      }),
    ).toBe('https://civitai.com/api/download/models/2?type=VAE');
    expect(
      inputOfSource({ kind: 'civitai', modelId: 1, versionId: 2, fileId: null, url: null }),
    ).toBe('civitai:version/2');
    expect(
      bundleItemOf(
        { path: 'top.safetensors', sizeBytes: 1, sha256: null, source: civitai },
        civitai,
      ),
    ).toEqual({
      input: 'civitai:version/6',
      folder: '',
      filename: 'top.safetensors',
      civitaiFile: { fileId: 77 },
    });
  });
});
