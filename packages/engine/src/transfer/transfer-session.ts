/**
 * Everything one file's transfer keeps between attempts: where it writes, the partial file, what is
 * written and durable, the running hash, and the per-chunk bookkeeping every writer shares.
 */
import path from 'node:path';
import type { FileRecord, RemoteValidator } from '../job-model';
import { absoluteDestination, assertRealPathInsideRoot } from '../paths/confine-path';
import { tempPathFor } from '../paths/temp-path';
import { registerSecret } from '../secrets/redact';
import { startInlineHasher } from '../verify/inline-sha256';
import type { InlineHasher } from '../verify/inline-sha256';
import { startPrefixHasher } from '../verify/sha256-prefix-hasher';
import { SMALL_FILE_BYTES } from '../verify/small-file-hasher';
import type { PrefixHasher } from '../verify/sha256-prefix-hasher';
import { toModeldockError } from '../errors';
import type { ModeldockError } from '../errors';
import type {
  DurableProgress,
  FileTransferCallbacks,
  FileTransferContext,
} from './file-transfer-api';
import { DurableSync } from './durable-sync';
import { PartialFile } from './partial-file';
import { ProgressLedger } from './progress-ledger';
import { diskFullError } from './disk-space';

/** Tell the hasher about new contiguous bytes at most this often (in bytes), to keep messages few. */
const HASH_ADVANCE_STEP = 4 * 1024 * 1024;

/** Wrong answers to range requests after which the file is fetched whole over one connection. */
export const RANGE_FAULTS_BEFORE_ONE_CONNECTION = 2;

export class TransferSession {
  readonly finalPath: string;
  readonly tempPath: string;
  readonly directory: string;
  /** A revision or checksum was pinned: another upstream version is an error, not a restart. */
  readonly pinned: boolean;
  /** False once the server was caught ignoring ranges: later attempts ask for the whole file. */
  rangesUsable = true;
  #rangeFaults = 0;
  authorization: string | null = null;
  /** Where the source last redirected to (a signed storage link): kept in memory only, never logged. */
  resolvedUrl: string | null = null;
  ledger: ProgressLedger;
  #partial: PartialFile | null = null;
  #hasher: PrefixHasher | null = null;
  /** The same hasher when it hashes the staged bytes in line (a small file). */
  #inlineHasher: InlineHasher | null = null;
  #sync: DurableSync | null = null;
  #stalled = false;
  /** Whether the temp file existed when last looked at (null: not looked at yet). */
  #tempExisted: boolean | null = null;
  /** The temp file as prepareDirectory just saw it (null: missing), for the first tempSize only. */
  #tempLookedAt: { size: number; isFile: boolean } | null | undefined = undefined;
  /** What the job layer last recorded for this file (from the file record, then every onDurable). */
  #recorded: {
    bytesDone: number;
    segmented: boolean;
    validator: boolean;
    bytesTotal: number | null;
  };

  constructor(
    readonly file: FileRecord,
    readonly context: FileTransferContext,
    readonly callbacks: FileTransferCallbacks,
  ) {
    this.finalPath = absoluteDestination(context.modelsRoot, file.relativePath);
    this.tempPath = tempPathFor(this.finalPath, file.id);
    this.directory = path.dirname(this.finalPath);
    this.pinned = file.revision !== null || file.expectedSha256 !== null;
    this.#recorded = {
      bytesDone: file.bytesDone,
      segmented: (file.segments?.length ?? 0) > 0,
      validator: file.validator !== null,
      bytesTotal: file.bytesTotal,
    };
    this.ledger =
      file.segments && file.segments.length > 0
        ? ProgressLedger.segmented(file.segments, file.validator, file.bytesTotal)
        : ProgressLedger.single(file.bytesDone, file.validator, file.bytesTotal);
  }

  get partial(): PartialFile {
    if (!this.#partial) throw new Error('The partial file is not open');
    return this.#partial;
  }

  get hasher(): PrefixHasher {
    if (!this.#hasher) throw new Error('The hasher is not running');
    return this.#hasher;
  }

  /**
   * Makes sure the folder exists inside the models root (checked before and after creating it, or
   * checked moments ago for another file of the same job run).
   */
  async prepareDirectory(): Promise<void> {
    const { fs, modelsRoot, confinedDirectories } = this.context;
    if (confinedDirectories?.isFresh(this.directory)) {
      // Only the temp path itself is new: a link there must lead inside the root.
      const temp = await fs.lstat(this.tempPath);
      if (temp?.isSymbolicLink) await assertRealPathInsideRoot(fs, modelsRoot, this.tempPath);
      // Not a link: what the first attempt's stat would say, moments before it would ask.
      else this.#tempLookedAt = temp === null ? null : { size: temp.size, isFile: temp.isFile };
      return;
    }
    await assertRealPathInsideRoot(fs, modelsRoot, this.finalPath);
    try {
      await fs.mkdir(this.directory);
    } catch (error) {
      throw toModeldockError(error, 'IO_ERROR');
    }
    await assertRealPathInsideRoot(fs, modelsRoot, this.tempPath);
    confinedDirectories?.remember(this.directory);
  }

  async tempSize(): Promise<number | null> {
    const looked = this.#tempLookedAt;
    this.#tempLookedAt = undefined;
    const stat = looked !== undefined ? looked : await this.context.fs.stat(this.tempPath);
    this.#tempExisted = stat !== null;
    return stat?.isFile ? stat.size : null;
  }

  async openPartial(): Promise<void> {
    if (this.#partial) return;
    this.#partial = await PartialFile.open(
      this.context.fs,
      this.tempPath,
      this.#tempExisted !== false,
    );
    this.#sync = new DurableSync(
      this.#partial,
      this.ledger,
      this.context.clock,
      this.context.config.syncIntervalMs,
      (progress) => this.#record(progress),
    );
  }

  /** Hands durable progress to the job layer and remembers what it now holds. */
  async #record(progress: DurableProgress): Promise<void> {
    await this.callbacks.onDurable(progress);
    this.#recorded = {
      bytesDone: progress.bytesDone,
      segmented: (progress.segments?.length ?? 0) > 0,
      validator: progress.validator !== null,
      bytesTotal: progress.bytesTotal,
    };
  }

  /** True when the job layer's record already says what a reset to zero bytes would say. */
  #recordedAsEmpty(progress: DurableProgress): boolean {
    const recorded = this.#recorded;
    return (
      progress.bytesDone === 0 &&
      recorded.bytesDone === 0 &&
      !recorded.segmented &&
      !recorded.validator &&
      recorded.bytesTotal === progress.bytesTotal
    );
  }

  /**
   * Starts hashing from byte 0 again: a small file from the bytes as they are staged (read back
   * once finished if they do not arrive in order from byte 0), a large one by a worker that reads
   * the written prefix back.
   */
  async restartHasher(): Promise<void> {
    await this.#hasher?.close();
    const total = this.ledger.bytesTotal;
    this.#inlineHasher =
      total !== null && total <= SMALL_FILE_BYTES ? startInlineHasher(this.tempPath) : null;
    this.#hasher = this.#inlineHasher ?? startPrefixHasher(this.tempPath);
    this.#hasher.advance(this.ledger.contiguousBytes());
  }

  async ensureHasher(): Promise<void> {
    if (!this.#hasher) await this.restartHasher();
  }

  async resolveAuthorization(): Promise<void> {
    const kind = this.file.credential;
    if (!kind) return;
    const key = await this.context.credentials(kind);
    registerSecret(key);
    this.authorization = key ? `Bearer ${key}` : null;
  }

  /** Bytes a single stream staged at `position`: a small file's hash takes them in line. */
  noteStaged(data: Uint8Array, position: number): void {
    this.#inlineHasher?.staged(data, position);
  }

  /** Bookkeeping after every write: live progress, the hasher, the periodic fsync. */
  noteWritten(): void {
    const received = this.ledger.receivedBytes();
    this.callbacks.onBytesReceived(received);
    if (this.#stalled) {
      this.#stalled = false;
      this.callbacks.onStalled(null);
    }
    const hasher = this.#hasher;
    if (hasher) {
      const contiguous = this.ledger.contiguousBytes();
      if (contiguous - hasher.advancedTo >= HASH_ADVANCE_STEP) hasher.advance(contiguous);
    }
    this.#sync?.maybeSync(received);
  }

  /**
   * Counts a wrong answer to a range request; returns true when this one turned ranges off, so a
   * server that keeps getting them wrong gets one plain request instead of a restart loop.
   */
  noteRangeFault(): boolean {
    this.#rangeFaults++;
    if (!this.rangesUsable || this.#rangeFaults < RANGE_FAULTS_BEFORE_ONE_CONNECTION) return false;
    this.rangesUsable = false;
    return true;
  }

  markStalled(): void {
    this.#stalled = true;
  }

  /**
   * Throws the partial away: records zero bytes first (the database must never claim more than the
   * disk holds), then truncates the file and restarts the hash.
   */
  async discardPartial(
    validator: RemoteValidator | null,
    bytesTotal: number | null,
  ): Promise<void> {
    await this.#sync?.settle();
    this.ledger.reset(validator, bytesTotal);
    // A new file of a bundle has nothing to take back: no record to write, no byte to cut.
    const progress = this.ledger.durableProgress();
    if (!this.#recordedAsEmpty(progress)) await this.#record(progress);
    if (this.#partial && !this.#partial.knownEmpty) await this.#partial.truncate(0);
    await this.restartHasher();
  }

  /** Deletes bytes known to be bad (hash mismatch, not a model): recorded as zero, then unlinked. */
  async deletePartial(): Promise<void> {
    await this.#sync?.settle();
    this.ledger.reset(null, this.ledger.bytesTotal);
    await this.#hasher?.close();
    this.#hasher = null;
    this.#inlineHasher = null;
    await this.#record(this.ledger.durableProgress());
    await this.#partial?.close().catch(() => undefined);
    this.#partial = null;
    this.#sync = null;
    await this.context.fs.unlink(this.tempPath).catch(() => undefined);
  }

  /** Makes everything written durable and reported (used when an attempt ends, for any reason). */
  async flushDurable(): Promise<void> {
    await this.#sync?.flush();
  }

  /** ENOSPC with the numbers: what is still missing and what is free. */
  async diskFull(cause: unknown): Promise<ModeldockError> {
    const total = this.ledger.bytesTotal;
    const needed = total === null ? null : Math.max(0, total - this.ledger.durableBytes());
    return diskFullError(this.context.fs, this.directory, needed, cause);
  }

  async close(): Promise<void> {
    await this.#sync?.settle();
    await this.#hasher?.close();
    this.#hasher = null;
    this.#inlineHasher = null;
    await this.#partial?.close().catch(() => undefined);
    this.#partial = null;
    this.#sync = null;
  }

  /** Hands the open file to finalisation, which closes it. */
  releasePartial(): PartialFile {
    const partial = this.partial;
    this.#partial = null;
    this.#sync = null;
    return partial;
  }
}
