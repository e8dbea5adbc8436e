/**
 * The temp file a download writes into: positional writes (several connections write at their own
 * offsets), short writes completed, and disk errors turned into values.
 */
import { toModeldockError } from '../errors';
import type { FileSystem, WritableFile } from '../ports';

export class PartialFile {
  /** True while the file is known to hold no byte (created empty, or truncated to 0, and not written). */
  #knownEmpty: boolean;
  /** Something was written or cut since the last successful fsync. */
  #dirty = false;
  /** An fsync of this handle succeeded: the file existed on disk as of then. */
  #syncedOnce = false;

  private constructor(
    readonly path: string,
    private readonly handle: WritableFile,
    knownEmpty: boolean,
  ) {
    this.#knownEmpty = knownEmpty;
  }

  /**
   * Opens the temp file for reading and writing, creating it when missing. `mayExist: false` says
   * the caller just saw no file there: then it is created exclusively first, which spares the
   * failing open (and the error it costs) for each of a bundle's many new files.
   */
  static async open(fs: FileSystem, path: string, mayExist = true): Promise<PartialFile> {
    if (!mayExist) {
      try {
        return new PartialFile(path, await fs.open(path, 'wx+'), true);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw toModeldockError(error, 'IO_ERROR');
      }
    }
    try {
      return new PartialFile(path, await fs.open(path, 'r+'), false);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw toModeldockError(error, 'IO_ERROR');
    }
    try {
      return new PartialFile(path, await fs.open(path, 'w+'), true);
    } catch (error) {
      throw toModeldockError(error, 'IO_ERROR');
    }
  }

  get knownEmpty(): boolean {
    return this.#knownEmpty;
  }

  /** The open handle, for reading the file back (the format check) without opening it again. */
  get handleForReading(): WritableFile {
    return this.handle;
  }

  async writeAt(data: Uint8Array, position: number): Promise<void> {
    if (data.length > 0) this.#knownEmpty = false;
    this.#dirty = true;
    let offset = 0;
    while (offset < data.length) {
      let written: number;
      try {
        ({ bytesWritten: written } = await this.handle.write(
          data,
          offset,
          data.length - offset,
          position + offset,
        ));
      } catch (error) {
        throw toModeldockError(error, 'IO_ERROR');
      }
      // Also after the write: an fsync that started while it ran may not cover it.
      this.#dirty = true;
      if (written <= 0)
        throw toModeldockError(
          new Error(`Write made no progress at offset ${position + offset}`),
          'IO_ERROR',
        );
      offset += written;
    }
  }

  /** fsync; skipped when nothing changed since the last one succeeded (finalising right after a flush). */
  async sync(): Promise<void> {
    if (!this.#dirty && this.#syncedOnce) return;
    this.#dirty = false;
    try {
      await this.handle.sync();
    } catch (error) {
      this.#dirty = true;
      throw toModeldockError(error, 'IO_ERROR');
    }
    this.#syncedOnce = true;
  }

  async truncate(length: number): Promise<void> {
    try {
      await this.handle.truncate(length);
    } catch (error) {
      throw toModeldockError(error, 'IO_ERROR');
    }
    this.#knownEmpty = length === 0;
    this.#dirty = true;
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
