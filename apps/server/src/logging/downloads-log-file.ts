/**
 * The downloads log: one JSON line per job transition or error, in `<dataDir>/logs/downloads.log`,
 * kept for a person to read after the fact. Rotated at start once it grows past a size so a
 * long-lived install does not fill its disk with history.
 */
import { mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';

export const DOWNLOADS_LOG_NAME = 'downloads.log';
const ROTATE_AT_BYTES = 20 * 1024 * 1024;

export function downloadsLogPath(dataDir: string): string {
  return path.join(dataDir, 'logs', DOWNLOADS_LOG_NAME);
}

/** Creates the logs folder and moves an oversized log aside (to `downloads.log.1`); returns the path. */
export function prepareDownloadsLog(dataDir: string, rotateAtBytes = ROTATE_AT_BYTES): string {
  const file = downloadsLogPath(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    return file;
  }
  if (size >= rotateAtBytes) renameSync(file, `${file}.1`);
  return file;
}
