/** The folder table (models folder, data folder, type → ComfyUI folder), read once per page load. */
import { api } from '../api/trpc-client';
import { attempt } from '../api/outcome';
import type { Outcome } from '../api/outcome';
import type { FolderTable } from '../api/types';

let cached: Promise<Outcome<FolderTable>> | null = null;

/** The table; a failed read is asked again next time. */
export function loadFolderTable(): Promise<Outcome<FolderTable>> {
  cached ??= attempt(() => api.settings.folders.query()).then((outcome) => {
    if (!outcome.ok) cached = null;
    return outcome;
  });
  return cached;
}
