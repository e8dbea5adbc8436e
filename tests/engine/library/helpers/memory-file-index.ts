/**
 * An in-memory LocalFileIndex with the SQL store's semantics (validation, path order, keyset pages),
 * for engine tests. It counts lookups so tests can tell a hash taken from the index from one read
 * from disk.
 */
import { ModeldockError } from '@modeldock/engine';
import type { IndexedFile, LocalFileIndex } from '@modeldock/engine';

const SHA256_HEX = /^[0-9a-f]{64}$/;

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

function checkPath(relativePath: string): void {
  if (
    typeof relativePath !== 'string' ||
    relativePath === '' ||
    relativePath.length > 1024 ||
    relativePath.startsWith('/')
  ) {
    throw invalid(
      `"${String(relativePath).slice(0, 60)}" is not a path relative to the models folder.`,
    );
  }
}

function checkSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
    throw invalid('A SHA-256 must be 64 lowercase hexadecimal characters.');
}

export class MemoryFileIndex implements LocalFileIndex {
  private readonly files = new Map<string, IndexedFile>();
  /** Calls to `record`, in order. */
  readonly recorded: string[] = [];
  /** When set, every call fails with it (an unreachable database). */
  failWith: Error | null = null;

  private guard(): void {
    if (this.failWith) throw this.failWith;
  }

  async record(file: Omit<IndexedFile, 'indexedAt'>, now: Date): Promise<void> {
    this.guard();
    checkPath(file.relativePath);
    checkSha256(file.sha256);
    if (!Number.isSafeInteger(file.size) || file.size < 0)
      throw invalid(`A file size must be a whole number of bytes (got ${file.size}).`);
    if (!Number.isFinite(file.mtimeMs))
      throw invalid(`A modification time must be a number of milliseconds (got ${file.mtimeMs}).`);
    this.files.set(file.relativePath, { ...file, indexedAt: new Date(now) });
    this.recorded.push(file.relativePath);
  }

  async get(relativePath: string): Promise<IndexedFile | null> {
    this.guard();
    checkPath(relativePath);
    const file = this.files.get(relativePath);
    return file ? { ...file } : null;
  }

  async findBySha256(sha256: string): Promise<IndexedFile[]> {
    this.guard();
    checkSha256(sha256);
    return this.sorted().filter((file) => file.sha256 === sha256);
  }

  async list(afterPath: string | null, limit: number): Promise<IndexedFile[]> {
    this.guard();
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
      throw invalid(`limit must be a whole number from 1 to 1000 (got ${limit}).`);
    if (afterPath !== null) checkPath(afterPath);
    return this.sorted()
      .filter((file) => afterPath === null || file.relativePath > afterPath)
      .slice(0, limit);
  }

  async forget(relativePaths: string[]): Promise<number> {
    this.guard();
    relativePaths.forEach(checkPath);
    let removed = 0;
    for (const relativePath of relativePaths) if (this.files.delete(relativePath)) removed++;
    return removed;
  }

  /** Everything indexed, in path order (for assertions). */
  all(): IndexedFile[] {
    return this.sorted();
  }

  private sorted(): IndexedFile[] {
    return [...this.files.values()]
      .sort((a, b) =>
        a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0,
      )
      .map((file) => ({ ...file }));
  }
}
