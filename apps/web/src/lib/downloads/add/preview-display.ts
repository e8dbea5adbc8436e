/** How a preview reads on the page: sizes exact or estimated, states of files on disk, short hashes. */
import type { FilePreview, SourcePreview } from '../../api/types';
import { formatBytes } from '../../shared/format';

export const ON_DISK_LABELS: Record<FilePreview['onDisk'], string> = {
  missing: 'New',
  partial: 'Partly downloaded: resumes',
  present: 'Already here',
  conflict: 'A different file is at this path',
};

const KIND_LABELS: Record<string, string> = {
  huggingface: 'Hugging Face',
  civitai: 'Civitai',
  direct: 'Direct link',
  bundle: 'Bundle',
  preset: 'Preset',
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/** "4.10 GB", "about 4.10 GB" when the source only published an estimate, or "size unknown". */
export function fileSizeText(file: Pick<FilePreview, 'bytesTotal' | 'estimatedBytes'>): string {
  if (file.bytesTotal !== null) return formatBytes(file.bytesTotal);
  if (file.estimatedBytes !== null) return `about ${formatBytes(file.estimatedBytes)}`;
  return 'size unknown';
}

/** The whole download's size, "about" as soon as one file's size is an estimate. */
export function previewSizeText(preview: SourcePreview): string {
  if (preview.bytesTotal !== null) return formatBytes(preview.bytesTotal);
  let total = 0;
  for (const file of preview.files) {
    const size = file.bytesTotal ?? file.estimatedBytes;
    if (size === null) return 'size unknown';
    total += size;
  }
  return `about ${formatBytes(total)}`;
}

/** "3 files", "1 file". */
export function fileCountText(count: number): string {
  return `${count} ${count === 1 ? 'file' : 'files'}`;
}

/** The first and last characters of a SHA-256: enough to compare by eye, short enough for a row. */
export function shortHash(hex: string): string {
  return hex.length <= 20 ? hex : `${hex.slice(0, 12)}…${hex.slice(-6)}`;
}

/** Files the server found elsewhere under the models root with the same hash. */
export function reusableFiles(preview: SourcePreview): FilePreview[] {
  return preview.files.filter((file) => file.existingMatch !== null);
}

/** Files a download would actually fetch (not already at their destination, not reused). */
export function filesToFetch(preview: SourcePreview, reuseExisting: boolean): FilePreview[] {
  return preview.files.filter(
    (file) => file.onDisk !== 'present' && !(reuseExisting && file.existingMatch !== null),
  );
}

/**
 * What a download of the previewed files fetches: files not already at their destination nor reused,
 * their bytes (estimates count; null when one size is unknown), and how many are already here.
 */
export function previewTotals(
  preview: SourcePreview,
  reuseExisting: boolean,
): { toFetch: number; bytesToFetch: number | null; alreadyHere: number } {
  const fetched = filesToFetch(preview, reuseExisting);
  let bytes: number | null = 0;
  for (const file of fetched) {
    const size = file.bytesTotal ?? file.estimatedBytes;
    bytes = bytes === null || size === null ? null : bytes + size;
  }
  return {
    toFetch: fetched.length,
    bytesToFetch: bytes,
    alreadyHere: preview.files.length - fetched.length,
  };
}
