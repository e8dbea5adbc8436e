/**
 * Whether a newer version of a model exists, decided from one hub answer:
 * - Civitai: a version of the same model published after the local one (an archived or taken-down
 *   model, or one Civitai no longer has, is `archived`, never an update);
 * - Hugging Face: the revision moved AND this file's content changed (its LFS SHA-256 or blob id
 *   differs from the local one); a commit that changed other files is no update of this one.
 */
import type { CivitaiModelRecord, CivitaiVersionRecord } from '../hubs/civitai-records';
import type { HfModelInfo } from '../hubs/hf-model-info';

export type UpdateStatusKind = 'unknown' | 'current' | 'update_available' | 'archived' | 'error';

export interface UpdateStatus {
  status: UpdateStatusKind;
  /** The newer version (Civitai: its version id; Hugging Face: the commit). */
  latest: { id: string; name: string; publishedAt: string | null } | null;
  checkedAt: string;
  /** A short reason for `archived` and `error`. */
  note?: string;
}

function publishedMs(version: CivitaiVersionRecord): number {
  const ms = version.publishedAt ? Date.parse(version.publishedAt) : Number.NaN;
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

export function civitaiUpdateStatus(localVersionId: number, model: CivitaiModelRecord | null, now: Date): UpdateStatus {
  const checkedAt = now.toISOString();
  if (!model) return { status: 'archived', latest: null, checkedAt, note: 'Civitai no longer has this model' };
  if (model.mode === 'Archived' || model.mode === 'TakenDown') {
    return { status: 'archived', latest: null, checkedAt, note: model.mode === 'TakenDown' ? 'taken down on Civitai' : 'archived on Civitai' };
  }
  // Civitai lists versions newest first; a date decides when both have one.
  const local = model.versions.find((version) => version.id === localVersionId) ?? null;
  const localIndex = local ? model.versions.indexOf(local) : model.versions.length;
  const newer = model.versions.filter((version, index) => {
    if (version.id === localVersionId) return false;
    if (local && publishedMs(version) !== Number.NEGATIVE_INFINITY && publishedMs(local) !== Number.NEGATIVE_INFINITY) {
      return publishedMs(version) > publishedMs(local);
    }
    return index < localIndex;
  });
  const newest = newer.sort((a, b) => publishedMs(b) - publishedMs(a))[0];
  if (!newest) return { status: 'current', latest: null, checkedAt };
  return {
    status: 'update_available',
    latest: { id: String(newest.id), name: newest.name ?? String(newest.id), publishedAt: newest.publishedAt },
    checkedAt,
  };
}

export interface HfLocalFile {
  commit: string | null;
  path: string;
  /** LFS SHA-256 (or git blob id of a regular file) of the local copy. */
  contentId: string | null;
}

export function huggingFaceUpdateStatus(local: HfLocalFile, info: HfModelInfo | null, revision: string, now: Date): UpdateStatus {
  const checkedAt = now.toISOString();
  if (!info) return { status: 'error', latest: null, checkedAt, note: 'the repository cannot be seen on Hugging Face (deleted, renamed or private)' };
  if (info.sha !== null && info.sha === local.commit) return { status: 'current', latest: null, checkedAt };
  const remote = info.siblings.find((sibling) => sibling.path === local.path);
  if (!remote) return { status: 'archived', latest: null, checkedAt, note: `${local.path} is no longer in the repository at ${revision}` };
  const remoteId = remote.lfsSha256 ?? remote.blobId;
  if (local.contentId === null || remoteId === null) return { status: 'unknown', latest: null, checkedAt };
  if (remoteId.toLowerCase() === local.contentId.toLowerCase()) return { status: 'current', latest: null, checkedAt };
  return {
    status: 'update_available',
    latest: { id: info.sha ?? remoteId, name: `new commit on ${revision}`, publishedAt: info.lastModified },
    checkedAt,
  };
}
