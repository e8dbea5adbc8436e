/**
 * Twins: files of one job whose content is another file of the same job, a Hugging Face cache blob
 * (the same bytes at two paths of a repository). A twin is never downloaded: once the job's
 * transfers are over and its blob is complete, its snapshot path becomes a second link to it.
 */
import type { FileRecord } from '../job-model';
import { hfCacheTwinBlobPath } from '../sources/huggingface/hf-cache-layout';

/** Twin file id → the file of the job that downloads its blob. */
export function hfCacheTwinsOf(files: readonly FileRecord[]): Map<string, FileRecord> {
  const byPath = new Map(files.map((file) => [file.relativePath, file]));
  const twins = new Map<string, FileRecord>();
  for (const file of files) {
    const blobPath = hfCacheTwinBlobPath(file);
    const blob = blobPath === null ? undefined : byPath.get(blobPath);
    if (blob && blob.id !== file.id) twins.set(file.id, blob);
  }
  return twins;
}

export function isDone(file: Pick<FileRecord, 'status'>): boolean {
  return file.status === 'completed' || file.status === 'present';
}
