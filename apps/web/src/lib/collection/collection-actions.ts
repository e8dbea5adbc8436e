/** Export and import of the collection as the Library page asks for them; failures come back as values. */
import { api } from '$lib/api/trpc-client';
import { attempt } from '$lib/api/outcome';
import type { Outcome } from '$lib/api/outcome';
import type { CollectionManifest, ImportResult } from '$lib/api/types';

export function exportManifest(includeMetadata: boolean): Promise<Outcome<CollectionManifest>> {
  return attempt(() => api.library.export.query({ includeMetadata }));
}

/** The manifest as the file chose it (its text): the server checks it and names what is wrong. */
export function importManifest(manifest: string, dryRun: boolean): Promise<Outcome<ImportResult>> {
  return attempt(() => api.library.import.mutate({ manifest, dryRun }));
}

/** Saves JSON as a file through the browser's download. */
export function saveJsonFile(value: unknown, fileName: string): void {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function manifestFileName(exportedAt: string): string {
  return `modeldock-collection-${exportedAt.slice(0, 10) || 'export'}.json`;
}
