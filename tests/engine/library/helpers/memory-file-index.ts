/**
 * An in-memory LocalFileIndex with the SQL store's semantics (the engine's checks, path order, keyset pages),
 * for engine tests. It counts lookups so tests can tell a hash taken from the index from one read
 * from disk.
 */
import {
  checkIndexEntry,
  checkIndexPageLimit,
  checkIndexPath,
  checkIndexSha256,
} from '@modeldock/engine';
import type { IndexedFile, LocalFileIndex } from '@modeldock/engine';

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
    checkIndexEntry(file);
    this.files.set(file.relativePath, { ...file, indexedAt: new Date(now) });
    this.recorded.push(file.relativePath);
  }

  /** All checked before any is kept, as the SQL store's one statement; a path given twice keeps the last. */
  async recordMany(files: Omit<IndexedFile, 'indexedAt'>[], now: Date): Promise<void> {
    this.guard();
    for (const file of files) checkIndexEntry(file);
    for (const file of files) {
      this.files.set(file.relativePath, { ...file, indexedAt: new Date(now) });
      this.recorded.push(file.relativePath);
    }
  }

  async get(relativePath: string): Promise<IndexedFile | null> {
    this.guard();
    checkIndexPath(relativePath);
    const file = this.files.get(relativePath);
    return file ? { ...file } : null;
  }

  async findBySha256(sha256: string): Promise<IndexedFile[]> {
    this.guard();
    checkIndexSha256(sha256);
    return this.sorted().filter((file) => file.sha256 === sha256);
  }

  async list(afterPath: string | null, limit: number): Promise<IndexedFile[]> {
    this.guard();
    checkIndexPageLimit(limit);
    if (afterPath !== null) checkIndexPath(afterPath);
    return this.sorted()
      .filter((file) => afterPath === null || file.relativePath > afterPath)
      .slice(0, limit);
  }

  async forget(relativePaths: string[]): Promise<number> {
    this.guard();
    relativePaths.forEach(checkIndexPath);
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
