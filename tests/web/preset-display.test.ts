import { describe, expect, it } from 'vitest';
import type { PresetFileView, PresetView } from '../../apps/web/src/lib/api/types';
import {
  activeJobForPreset,
  presetFileSizeText,
  presetSummaryText,
  summarisePreset,
  visiblePresetFiles,
} from '../../apps/web/src/lib/catalog/preset-display';

function presetFile(overrides: Partial<PresetFileView>): PresetFileView {
  return {
    name: 'ae.safetensors',
    relativePath: 'vae/ae.safetensors',
    source: 'org/repo',
    status: 'missing',
    bytesOnDisk: null,
    bytesTotal: 1_000_000,
    ...overrides,
  };
}

function preset(files: PresetFileView[]): PresetView {
  return { id: 'p', name: 'P', description: 'd', status: 'partial', files };
}

describe('preset summary', () => {
  it('counts present files and adds what is on disk against the expected total', () => {
    const summary = summarisePreset(
      preset([
        presetFile({ name: 'a', status: 'present', bytesOnDisk: 1_000_000 }),
        presetFile({ name: 'b', status: 'partial', bytesOnDisk: 250_000 }),
        presetFile({ name: 'c', status: 'missing' }),
      ]),
    );
    expect(summary).toEqual({
      presentCount: 1,
      missingCount: 1,
      fileCount: 3,
      bytesOnDisk: 1_250_000,
      bytesTotal: 3_000_000,
    });
    expect(presetSummaryText(summary)).toBe('1 of 3 files present · 1.25 MB of 3.00 MB on disk');
  });

  it('leaves the total out while a size is unknown', () => {
    const summary = summarisePreset(preset([presetFile({ bytesTotal: null })]));
    expect(summary.bytesTotal).toBeNull();
    expect(presetSummaryText(summary)).toBe('0 of 1 file present · 0 B on disk');
  });
});

describe('preset files', () => {
  it('shows sizes for present, partial and missing files', () => {
    expect(presetFileSizeText(presetFile({ status: 'present', bytesOnDisk: 2_000_000 }))).toBe(
      '2.00 MB',
    );
    expect(presetFileSizeText(presetFile({ status: 'partial', bytesOnDisk: 500_000 }))).toBe(
      '500 kB of 1.00 MB',
    );
    expect(presetFileSizeText(presetFile({ status: 'missing' }))).toBe('1.00 MB');
    expect(presetFileSizeText(presetFile({ status: 'missing', bytesTotal: null }))).toBe(
      'size unknown',
    );
  });

  it('hides missing files until they are asked for', () => {
    const files = [
      presetFile({ name: 'here', status: 'present' }),
      presetFile({ name: 'half', status: 'partial' }),
      presetFile({ name: 'gone', status: 'missing' }),
    ];
    expect(visiblePresetFiles(preset(files), false).map((f) => f.name)).toEqual(['here', 'half']);
    expect(visiblePresetFiles(preset(files), true).map((f) => f.name)).toEqual([
      'here',
      'half',
      'gone',
    ]);
  });

  it("finds the preset's active bundle job and ignores finished ones", () => {
    const jobs = [
      { id: '1', source: 'preset:p', status: 'completed' },
      { id: '2', source: 'preset:other', status: 'running' },
      { id: '3', source: 'preset:p', status: 'paused' },
    ];
    expect(activeJobForPreset(jobs, 'p')?.id).toBe('3');
    expect(activeJobForPreset(jobs.slice(0, 2), 'p')).toBeNull();
  });
});
