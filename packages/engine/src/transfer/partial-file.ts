/**
 * The temp file a download writes into: positional writes (several connections write at their own
 * offsets), short writes completed, and disk errors turned into values.
 */
import { toModeldockError } from '../errors';
import type { FileSystem, WritableFile } from '../ports';

export class PartialFile {
  private constructor(
    readonly path: string,
    private readonly handle: WritableFile,
  ) {}

  /** Opens the temp file for reading and writing, creating it when missing. */
  static async open(fs: FileSystem, path: string): Promise<PartialFile> {
    try {
      return new PartialFile(path, await fs.open(path, 'r+'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw toModeldockError(error, 'IO_ERROR');
    }
    try {
      return new PartialFile(path, await fs.open(path, 'w+'));
    } catch (error) {
      throw toModeldockError(error, 'IO_ERROR');
    }
  }

  async writeAt(data: Uint8Array, position: number): Promise<void> {
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
      if (written <= 0)
        throw toModeldockError(
          new Error(`Write made no progress at offset ${position + offset}`),
          'IO_ERROR',
        );
      offset += written;
    }
  }

  async sync(): Promise<void> {
    try {
      await this.handle.sync();
    } catch (error) {
      throw toModeldockError(error, 'IO_ERROR');
    }
  }

  async truncate(length: number): Promise<void> {
    try {
      await this.handle.truncate(length);
    } catch (error) {
      throw toModeldockError(error, 'IO_ERROR');
    }
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
