/** How a preset reads in the catalog: which files are here, how much of it is on disk. */
import type { PresetFileView, PresetView } from '../api/types';
import { formatBytes } from '../shared/format';
import { isActive } from '../downloads/job-status';

export type PresetState = PresetView['status'];

export const PRESET_STATUS_LABELS: Record<PresetState, string> = {
  present: 'Present',
  partial: 'Partly present',
  missing: 'Missing',
};

export const FILE_STATUS_LABELS: Record<PresetFileView['status'], string> = {
  present: 'Present',
  partial: 'Partly downloaded',
  missing: 'Missing',
};

export interface PresetSummary {
  presentCount: number;
  missingCount: number;
  fileCount: number;
  bytesOnDisk: number;
  /** The whole preset's size, or null while one file's size is unknown. */
  bytesTotal: number | null;
}

export function summarisePreset(preset: PresetView): PresetSummary {
  let bytesTotal: number | null = 0;
  let bytesOnDisk = 0;
  for (const file of preset.files) {
    bytesOnDisk += file.status === 'missing' ? 0 : (file.bytesOnDisk ?? 0);
    bytesTotal =
      bytesTotal === null || file.bytesTotal === null ? null : bytesTotal + file.bytesTotal;
  }
  return {
    presentCount: preset.files.filter((file) => file.status === 'present').length,
    missingCount: preset.files.filter((file) => file.status === 'missing').length,
    fileCount: preset.files.length,
    bytesOnDisk,
    bytesTotal,
  };
}

/** "2 of 3 files present · 4.10 GB of 12.3 GB on disk". */
export function presetSummaryText(summary: PresetSummary): string {
  const files = `${summary.presentCount} of ${summary.fileCount} ${summary.fileCount === 1 ? 'file' : 'files'} present`;
  const bytes =
    summary.bytesTotal === null
      ? `${formatBytes(summary.bytesOnDisk)} on disk`
      : `${formatBytes(summary.bytesOnDisk)} of ${formatBytes(summary.bytesTotal)} on disk`;
  return `${files} · ${bytes}`;
}

/** A file's size as it stands: complete, part of the expected size, or what is still to come. */
export function presetFileSizeText(file: PresetFileView): string {
  if (file.status === 'present') {
    const size = file.bytesOnDisk ?? file.bytesTotal;
    return size === null ? '' : formatBytes(size);
  }
  if (file.status === 'partial') {
    const onDisk = formatBytes(file.bytesOnDisk ?? 0);
    return file.bytesTotal === null
      ? `${onDisk} so far`
      : `${onDisk} of ${formatBytes(file.bytesTotal)}`;
  }
  return file.bytesTotal === null ? 'size unknown' : formatBytes(file.bytesTotal);
}

/** Present and partial files always show; missing ones only when asked for. */
export function visiblePresetFiles(preset: PresetView, showMissing: boolean): PresetFileView[] {
  return showMissing ? preset.files : preset.files.filter((file) => file.status !== 'missing');
}

/** The bundle job downloading a preset right now, if any: its source is `preset:<id>`. */
export function activeJobForPreset<T extends { source: string; status: string }>(
  jobs: readonly T[],
  presetId: string,
): T | null {
  const source = `preset:${presetId}`;
  return jobs.find((job) => job.source === source && isActive(job)) ?? null;
}
