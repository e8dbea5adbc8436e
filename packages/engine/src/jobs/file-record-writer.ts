/**
 * Writes a job run's file records to the store in batches. A write waits for its batch to be
 * stored, and the writes made while another batch was being stored (or in the same turn of the
 * event loop) share the next one. A deferred write does not wait at all: deferred writes gather
 * and are stored together, at the latest `deferMs` later (or when many are waiting, or on flush).
 * Batches go through `JobStore.updateFiles`: on the embedded database a
 * statement costs most of a millisecond of the server's main thread, and a bundle of a thousand
 * small files made three thousand of them.
 *
 * Only what may lag the disk is deferred: a completed file's record after its rename (recovery
 * finds the renamed file, recorded complete by its last durable write, and adopts it). Durable
 * progress is always waited for: it is what lets recovery trust the bytes.
 */
import type { Clock, FilePatch, FileUpdate, JobStore } from '../ports';

/** Deferred writes waiting beyond this many are stored at once rather than at the timer. */
const MAX_DEFERRED = 256;

export interface FileRecordWriterOptions {
  store: JobStore;
  clock: Clock;
  now(): Date;
  /** Longest a deferred write waits. */
  deferMs: number;
  /** After a batch holding deferred writes was stored. */
  onDeferredStored?(): void;
  /** A batch holding deferred writes failed: nobody else hears of it until the next flush. */
  onDeferredFailed?(error: unknown): void;
}

interface Batch {
  updates: FileUpdate[];
  /** How many of the updates nobody waits for. */
  deferred: number;
  /** Settles once the batch is stored (or failed to be). */
  stored: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const stored = new Promise<void>((onStored, onFailed) => {
    resolve = onStored;
    reject = onFailed;
  });
  // A batch of deferred writes has no one waiting: its failure goes to onDeferredFailed and flush().
  stored.catch(() => undefined);
  return { updates: [], deferred: 0, stored, resolve, reject };
}

export class FileRecordWriter {
  #next: Batch = newBatch();
  #deferred: FileUpdate[] = [];
  #deferredFileIds = new Set<string>();
  /** The batch being stored, chained after the previous one (never rejects). */
  #storing: Promise<void> = Promise.resolve();
  #startScheduled = false;
  #timer: AbortController | null = null;
  /** The failure of a batch that held deferred writes, for the next flush. */
  #deferredFailure: { error: unknown } | null = null;

  constructor(private readonly options: FileRecordWriterOptions) {}

  /** Stores the patch (with whatever else is waiting) and resolves once it is stored. */
  write(fileId: string, patch: FilePatch): Promise<void> {
    // A deferred patch of the same file must not land after this one.
    if (this.#deferredFileIds.has(fileId)) this.#takeDeferred();
    const batch = this.#next;
    batch.updates.push({ fileId, patch });
    this.#startSoon();
    return batch.stored;
  }

  /** Stores the patch later with other deferred ones, within `deferMs`. */
  defer(fileId: string, patch: FilePatch): void {
    this.#deferred.push({ fileId, patch });
    this.#deferredFileIds.add(fileId);
    if (this.#deferred.length >= MAX_DEFERRED) {
      this.#takeDeferred();
      this.#startSoon();
    } else {
      this.#armTimer();
    }
  }

  /** Stores everything written or deferred so far and waits for it; throws a deferred write's failure. */
  async flush(): Promise<void> {
    this.#takeDeferred();
    const batch = this.#next;
    if (batch.updates.length > 0) {
      this.#startSoon();
      await batch.stored.catch(() => undefined);
    } else {
      await this.#storing;
    }
    const failure = this.#deferredFailure;
    this.#deferredFailure = null;
    if (failure) throw failure.error;
  }

  /** Stops the timer; what is deferred stays unwritten (call flush first). */
  close(): void {
    this.#timer?.abort();
    this.#timer = null;
  }

  /** Moves the deferred writes into the next batch, ahead of what comes after them. */
  #takeDeferred(): void {
    this.#timer?.abort();
    this.#timer = null;
    if (this.#deferred.length === 0) return;
    this.#next.updates.push(...this.#deferred);
    this.#next.deferred += this.#deferred.length;
    this.#deferred = [];
    this.#deferredFileIds.clear();
  }

  #armTimer(): void {
    if (this.#timer) return;
    const timer = new AbortController();
    this.#timer = timer;
    this.options.clock.sleep(this.options.deferMs, timer.signal).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = null;
        this.#takeDeferred();
        this.#startSoon();
      },
      () => undefined,
    );
  }

  /** Starts the next batch once the one being stored is done, after this turn's other writes joined it. */
  #startSoon(): void {
    if (this.#startScheduled) return;
    this.#startScheduled = true;
    this.#storing = this.#storing
      // Writes from I/O finishing in the same turn of the event loop (other files' fsyncs) join.
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.#storeNext());
  }

  async #storeNext(): Promise<void> {
    this.#startScheduled = false;
    const batch = this.#next;
    this.#next = newBatch();
    try {
      await this.#store(batch.updates);
    } catch (error) {
      if (batch.deferred > 0) {
        this.#deferredFailure ??= { error };
        this.options.onDeferredFailed?.(error);
      }
      batch.reject(error);
      return;
    }
    batch.resolve();
    if (batch.deferred > 0) this.options.onDeferredStored?.();
  }

  async #store(updates: FileUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const { store } = this.options;
    const now = this.options.now();
    return store.updateFiles(updates, now);
  }
}
