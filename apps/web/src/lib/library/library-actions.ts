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
