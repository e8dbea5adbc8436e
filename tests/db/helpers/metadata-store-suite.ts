/**
 * The contract of the engine's `ModelMetadataStore` port, run on every implementation: memory (the
 * engine's own), PGlite and PostgreSQL (packages/db). A record comes back exactly as put (every
 * field, including null and empty ones and the raw hub JSON), put replaces by entry id, a batch puts
 * many at once, and unknown ids are simply absent.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelMetadataStore, StoredModelMetadata } from '@modeldock/engine';

export interface MetadataStoreTier {
  store: ModelMetadataStore;
  /** Entries that exist in the library (the SQL store keeps metadata only for those). */
  entryIds: string[];
}

export function fullRecord(entryId: string, overrides: Partial<StoredModelMetadata> = {}): StoredModelMetadata {
  return {
    entryId,
    sha256: 'a'.repeat(64),
    metadata: {
      name: 'Detail Tweaker',
      versionName: 'v2.0',
      type: 'LORA',
      baseModel: 'SDXL 1.0',
      trainedWords: ['detailed', 'intricate, sharp'],
      tags: ['detail', 'style'],
      description: '<p>Adds <strong>detail</strong></p>',
      creator: 'someone',
      nsfwLevel: 1,
      sourceUrl: 'https://civitai.com/models/12?modelVersionId=34',
      completeness: 'complete',
      missing: [],
      sources: ['civitai', 'header'],
      updatedAt: '2026-01-02T03:04:05.000Z',
    },
    civitai: { modelId: 12, versionId: 34, fileId: 56, mode: null },
    huggingFace: null,
    raw: { civitaiVersion: { id: 34, name: 'v2.0', nested: { list: [1, 'two', null] } }, civitaiModel: { id: 12, mode: null } },
    preview: { kind: 'image', thumbnail: `${entryId}.webp`, besideModel: 'loras/detail.preview.png', updatedAt: '2026-01-02T03:04:06.000Z' },
    update: { status: 'update_available', latest: { id: '78', name: 'v3.0', publishedAt: '2026-02-01T00:00:00.000Z' }, checkedAt: '2026-01-02T03:04:07.000Z' },
    civitaiNotFoundAt: null,
    sidecars: ['loras/detail.civitai.info', 'loras/detail.metadata.json'],
    updatedAt: '2026-01-02T03:04:08.000Z',
    ...overrides,
  };
}

export function minimalRecord(entryId: string): StoredModelMetadata {
  return {
    entryId,
    sha256: null,
    metadata: {
      name: 'mystery',
      versionName: null,
      type: null,
      baseModel: null,
      trainedWords: [],
      tags: [],
      description: null,
      creator: null,
      nsfwLevel: null,
      sourceUrl: null,
      completeness: 'minimal',
      missing: ['versionName', 'not found on Civitai by its SHA-256'],
      sources: [],
      updatedAt: '2026-01-02T03:04:05.000Z',
    },
    civitai: null,
    huggingFace: { repoId: 'org/name', commit: 'c'.repeat(40), path: 'a/b.gguf', etag: null },
    raw: {},
    preview: { kind: 'placeholder', thumbnail: `${entryId}.svg`, besideModel: null, updatedAt: '2026-01-02T03:04:06.000Z' },
    update: { status: 'archived', latest: null, checkedAt: '2026-01-02T03:04:07.000Z', note: 'archived on Civitai' },
    civitaiNotFoundAt: '2026-01-02T03:04:05.000Z',
    sidecars: [],
    updatedAt: '2026-01-02T03:04:08.000Z',
  };
}

export function describeMetadataStoreContract(name: string, setup: () => Promise<MetadataStoreTier>): void {
  describe(`${name}: ModelMetadataStore contract`, () => {
    let tier: MetadataStoreTier;
    beforeEach(async () => {
      tier = await setup();
    });

    it('gives back a record exactly as it was put, every field included', async () => {
      const [a, b] = tier.entryIds;
      await tier.store.put([fullRecord(a!), minimalRecord(b!)]);
      const found = await tier.store.get([a!, b!]);
      expect(found.get(a!)).toEqual(fullRecord(a!));
      expect(found.get(b!)).toEqual(minimalRecord(b!));
    });

    it('keeps a record that has not been described yet (no metadata, preview or update)', async () => {
      const [a] = tier.entryIds;
      const bare = fullRecord(a!, { metadata: null, preview: null, update: null, civitai: null, raw: {}, sidecars: [] });
      await tier.store.put([bare]);
      expect((await tier.store.get([a!])).get(a!)).toEqual(bare);
    });

    it('replaces by entry id; other entries are untouched', async () => {
      const [a, b] = tier.entryIds;
      await tier.store.put([fullRecord(a!), fullRecord(b!)]);
      const changed = minimalRecord(a!);
      await tier.store.put([changed]);
      const found = await tier.store.get([a!, b!]);
      expect(found.get(a!)).toEqual(changed);
      expect(found.get(b!)).toEqual(fullRecord(b!));
    });

    it('answers only for ids it has; an empty or unknown list is an empty map', async () => {
      const [a, , c] = tier.entryIds;
      await tier.store.put([fullRecord(a!)]);
      expect((await tier.store.get([])).size).toBe(0);
      const found = await tier.store.get([a!, c!, 'no-such-entry']);
      expect([...found.keys()]).toEqual([a]);
    });

    it('puts a batch of many at once', async () => {
      const records = tier.entryIds.map((id, index) => fullRecord(id, { sha256: index.toString(16).padStart(64, '0') }));
      await tier.store.put(records);
      const found = await tier.store.get(tier.entryIds);
      expect(found.size).toBe(tier.entryIds.length);
      for (const record of records) expect(found.get(record.entryId)).toEqual(record);
    });

    it('a record read back and changed does not change what is stored until it is put again', async () => {
      const [a] = tier.entryIds;
      await tier.store.put([fullRecord(a!)]);
      const read = (await tier.store.get([a!])).get(a!)!;
      read.metadata!.trainedWords.push('changed');
      read.sidecars.push('x');
      expect((await tier.store.get([a!])).get(a!)).toEqual(fullRecord(a!));
    });
  });
}
