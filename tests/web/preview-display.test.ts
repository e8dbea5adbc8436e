import { describe, expect, it } from 'vitest';
import type { FilePreview, SourcePreview } from '../../apps/web/src/lib/api/types';
import {
  fileSizeText,
  filesToFetch,
  previewSizeText,
  previewTotals,
  reusableFiles,
  shortHash,
} from '../../apps/web/src/lib/downloads/add/preview-display';

function file(overrides: Partial<FilePreview>): FilePreview {
  return {
    name: 'model.safetensors',
    relativePath: 'checkpoints/model.safetensors',
    bytesTotal: 1_000,
    estimatedBytes: null,
    expectedSha256: null,
    access: 'ok',
    credential: null,
    onDisk: 'missing',
    existingMatch: null,
    placement: null,
    ...overrides,
  };
}

function preview(files: FilePreview[], bytesTotal: number | null): SourcePreview {
  return {
    kind: 'huggingface',
    source: 'org/name',
    files,
    bytesTotal,
    warnings: [],
    listing: null,
    choiceRequired: null,
    accessProblem: null,
  };
}

describe('sizes in a preview', () => {
  it('shows an exact size plainly and an estimate as "about"', () => {
    expect(fileSizeText(file({ bytesTotal: 4_100_000_000 }))).toBe('4.10 GB');
    expect(fileSizeText(file({ bytesTotal: null, estimatedBytes: 2_000_000 }))).toBe(
      'about 2.00 MB',
    );
    expect(fileSizeText(file({ bytesTotal: null, estimatedBytes: null }))).toBe('size unknown');
  });

  it('totals exact sizes, and says "about" once any file is an estimate', () => {
    const exact = [file({ bytesTotal: 1_000_000 }), file({ bytesTotal: 2_000_000 })];
    expect(previewSizeText(preview(exact, 3_000_000))).toBe('3.00 MB');
    const estimated = [
      file({ bytesTotal: 1_000_000 }),
      file({ bytesTotal: null, estimatedBytes: 2_000_000 }),
    ];
    expect(previewSizeText(preview(estimated, null))).toBe('about 3.00 MB');
    const unknown = [file({ bytesTotal: null, estimatedBytes: null })];
    expect(previewSizeText(preview(unknown, null))).toBe('size unknown');
  });
});

describe('what a download would fetch', () => {
  const here = file({ name: 'here', onDisk: 'present' });
  const elsewhere = file({
    name: 'elsewhere',
    existingMatch: { relativePath: 'loras/x.safetensors' },
  });
  const fresh = file({ name: 'fresh' });
  const all = preview([here, elsewhere, fresh], 3_000);

  it('finds files that already exist elsewhere under the models root', () => {
    expect(reusableFiles(all).map((f) => f.name)).toEqual(['elsewhere']);
  });

  it('skips files already at their destination, and reused files only when reuse is chosen', () => {
    expect(filesToFetch(all, true).map((f) => f.name)).toEqual(['fresh']);
    expect(filesToFetch(all, false).map((f) => f.name)).toEqual(['elsewhere', 'fresh']);
  });
});

describe('shortHash', () => {
  it('keeps the start and the end of a SHA-256', () => {
    const hash = 'a'.repeat(12) + 'b'.repeat(46) + 'c'.repeat(6);
    expect(shortHash(hash)).toBe(`${'a'.repeat(12)}…${'c'.repeat(6)}`);
    expect(shortHash('abc')).toBe('abc');
  });
});

describe('previewTotals', () => {
  it('counts only the files a download fetches, reused and present ones as already here', () => {
    const shown = preview(
      [
        file({ bytesTotal: 3_000_000 }),
        file({ bytesTotal: null, estimatedBytes: 5_400_000 }),
        file({ onDisk: 'present' }),
        file({ existingMatch: { relativePath: 'loras/x.safetensors' } }),
      ],
      null,
    );
    expect(previewTotals(shown, true)).toEqual({
      toFetch: 2,
      bytesToFetch: 8_400_000,
      alreadyHere: 2,
    });
    expect(previewTotals(shown, false).toFetch).toBe(3);
    expect(
      previewTotals(preview([file({ bytesTotal: null })], null), true).bytesToFetch,
    ).toBeNull();
  });
});
