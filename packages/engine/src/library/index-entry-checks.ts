/**
 * What a LocalFileIndex accepts, checked the same way by every implementation: a path relative to
 * the models root, a lowercase hex SHA-256, a whole size and a finite modification time.
 */
import { ModeldockError } from '../errors';
import type { IndexedFile } from '../ports';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_PATH_LENGTH = 1024;
export const MAX_INDEX_PAGE = 1000;

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

export function checkIndexPath(relativePath: string): void {
  if (
    typeof relativePath !== 'string' ||
    relativePath === '' ||
    relativePath.length > MAX_PATH_LENGTH ||
    relativePath.startsWith('/')
  ) {
    throw invalid(
      `"${String(relativePath).slice(0, 60)}" is not a path relative to the models folder.`,
    );
  }
}

export function checkIndexSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw invalid('A SHA-256 must be 64 lowercase hexadecimal characters.');
  }
}

export function checkIndexEntry(file: Omit<IndexedFile, 'indexedAt'>): void {
  checkIndexPath(file.relativePath);
  checkIndexSha256(file.sha256);
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw invalid(`A file size must be a whole number of bytes (got ${file.size}).`);
  }
  if (!Number.isFinite(file.mtimeMs)) {
    throw invalid(`A modification time must be a number of milliseconds (got ${file.mtimeMs}).`);
  }
}

export function checkIndexPageLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_INDEX_PAGE) {
    throw invalid(`limit must be a whole number from 1 to ${MAX_INDEX_PAGE} (got ${limit}).`);
  }
}
