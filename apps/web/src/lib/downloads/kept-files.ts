/**
 * Jobs whose completed files the person chose to keep, so the page stops offering to roll them back.
 * A preference of this browser only: it changes nothing on the server, and forgetting it merely
 * brings the offer back.
 */
const STORAGE_KEY = 'modeldock.kept-completed-files';
/** Plenty for any history the page shows; the oldest choices go first. */
const MAX_REMEMBERED = 500;

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function read(storage: KeyValueStorage): string[] {
  try {
    const parsed = JSON.parse(storage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

export function keptCompletedFiles(storage: KeyValueStorage): Set<string> {
  return new Set(read(storage));
}

export function rememberKeptCompletedFiles(storage: KeyValueStorage, jobId: string): void {
  const ids = read(storage).filter((id) => id !== jobId);
  ids.push(jobId);
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(ids.slice(-MAX_REMEMBERED)));
  } catch {
    // Storage full or disabled: the offer simply comes back after a reload.
  }
}
