/** What the Library page asks the server; every failure comes back as a value to show. */
import { api } from '$lib/api/trpc-client';
import { attempt } from '$lib/api/outcome';
import type { Outcome } from '$lib/api/outcome';
import type { CacheCleanup, LibraryEntry, LibraryListInput, LibraryStats } from '$lib/api/types';

export function listEntries(
  query: LibraryListInput,
): Promise<Outcome<{ items: LibraryEntry[]; nextCursor: string | null }>> {
  return attempt(() => api.library.list.query(query));
}

export function loadStats(): Promise<Outcome<LibraryStats>> {
  return attempt(() => api.library.stats.query());
}

export function deleteEntries(ids: string[]): Promise<Outcome<{ deleted: number; freedBytes: number }>> {
  return attempt(() => api.library.delete.mutate({ ids }));
}

export function clearCache(dryRun: boolean): Promise<Outcome<CacheCleanup>> {
  return attempt(() => api.library.clearCache.mutate({ dryRun }));
}

export function downloadAgain(id: string): Promise<Outcome<{ jobId: string }>> {
  return attempt(() => api.library.redownload.mutate({ id }));
}

export function startScan(): Promise<Outcome<{ taskId: string }>> {
  return attempt(() => api.library.scan.mutate());
}

export type RefreshKind = 'metadata' | 'preview' | 'full';

/** Metadata, previews or both: for chosen models, or every incomplete one ("Fix all"). */
export function refreshMetadata(kind: RefreshKind, target: { ids: string[] } | { scope: 'incomplete' | 'all' }): Promise<Outcome<{ taskId: string }>> {
  return attempt(() => api.library.refresh.mutate({ kind, ...target }));
}

export function checkForUpdates(target: { ids: string[] } | { scope: 'all' }): Promise<Outcome<{ taskId: string }>> {
  return attempt(() => api.library.checkUpdates.mutate(target));
}

/** Downloads the newer version (Civitai: beside the old file). */
export function updateModel(id: string): Promise<Outcome<{ jobId: string }>> {
  return attempt(() => api.library.update.mutate({ id }));
}
