/**
 * A byte layer the test drives by hand: each `transferFile` call is recorded and stays pending until
 * the test completes or fails it; an abort rejects it with the signal's reason, as the real one does.
 * `autoComplete` makes every call finish at once (optionally writing the final file).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { absoluteDestination } from '@modeldock/engine';
import type {
  FileRecord,
  FileTransferCallbacks,
  FileTransferContext,
  FileTransferResult,
  TransferFile,
} from '@modeldock/engine';
import { settle } from './fake-clock';

export class TransferCall {
  settled = false;
  private resolveResult!: (result: FileTransferResult) => void;
  private rejectResult!: (error: unknown) => void;
  readonly result: Promise<FileTransferResult>;

  constructor(
    readonly file: FileRecord,
    readonly context: FileTransferContext,
    readonly callbacks: FileTransferCallbacks,
  ) {
    this.result = new Promise<FileTransferResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    const onAbort = () => this.fail(context.signal.reason);
    if (context.signal.aborted) onAbort();
    else context.signal.addEventListener('abort', onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.context.signal;
  }

  /** Reports bytes received and then made durable, as the byte layer would after an fsync. */
  async progress(bytesDone: number, bytesTotal: number | null = this.file.bytesTotal): Promise<void> {
    this.callbacks.onBytesReceived(bytesDone);
    await this.callbacks.onDurable({ bytesDone, bytesTotal, segments: null, validator: { etag: '"v1"', lastModified: null } });
  }

  /** Writes `content` to the final path (when given) and resolves the transfer. */
  async complete(content?: Buffer | string, extra: Partial<FileTransferResult> = {}): Promise<void> {
    const bytes = content === undefined ? Buffer.alloc(0) : Buffer.from(content);
    if (content !== undefined) {
      const finalPath = absoluteDestination(this.context.modelsRoot, this.file.relativePath);
      await mkdir(path.dirname(finalPath), { recursive: true });
      await writeFile(finalPath, bytes);
    }
    if (this.settled) return;
    this.settled = true;
    const bytesTotal = content === undefined ? (this.file.bytesTotal ?? 0) : bytes.length;
    this.resolveResult({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytesTotal,
      format: 'safetensors',
      validator: { etag: '"v1"', lastModified: null },
      warnings: [],
      ...extra,
    });
    await settle();
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectResult(error);
  }
}

export class FakeTransfer {
  readonly calls: TransferCall[] = [];
  private waiters: Array<() => void> = [];
  /** When set, every call is finished by this as soon as it starts. */
  autoComplete: ((call: TransferCall) => Promise<void> | void) | null = null;

  readonly transferFile: TransferFile = (file, context, callbacks) => {
    const call = new TransferCall(structuredClone(file), context, callbacks);
    this.calls.push(call);
    for (const wake of this.waiters.splice(0)) wake();
    if (this.autoComplete) {
      const finish = this.autoComplete;
      void Promise.resolve().then(() => finish(call));
    }
    return call.result;
  };

  /** The `n`th call (0-based), waiting for it to happen. */
  async call(n: number, timeoutMs = 5_000): Promise<TransferCall> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length <= n) {
      if (Date.now() > deadline) throw new Error(`transferFile was called ${this.calls.length} times, expected a call #${n}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
    return this.calls[n]!;
  }

  callsFor(relativePath: string): TransferCall[] {
    return this.calls.filter((call) => call.file.relativePath === relativePath);
  }

  pending(): TransferCall[] {
    return this.calls.filter((call) => !call.settled);
  }
}
