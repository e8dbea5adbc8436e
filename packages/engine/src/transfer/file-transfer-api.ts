/**
 * The contract between the job layer (jobs/) and the byte layer (transfer/, http/, verify/).
 * The job layer decides *which* file runs and records progress; the byte layer moves one file's
 * bytes to its final path, durably and verified, and reports what became durable.
 */
import type { CredentialProvider, Clock, FileSystem, HttpClient, Logger } from '../ports';
import type { FileFormat, FileRecord, RemoteValidator, Segment, StalledState } from '../job-model';
import type { EngineConfig } from '../config';
import type { BandwidthLimiter } from './bandwidth';
import type { ConfinedDirectories } from './confined-directories';

export interface FileTransferContext {
  http: HttpClient;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  config: EngineConfig;
  credentials: CredentialProvider;
  /** Absolute, real path of the models root; every path stays inside it. */
  modelsRoot: string;
  /** Limits that apply to this file: global first, then per job. */
  limiters: BandwidthLimiter[];
  /** Aborted on pause, cancel, shutdown or lost lease; the reason says which. */
  signal: AbortSignal;
  /** Folders this job run already checked inside the models root (shared by its files). */
  confinedDirectories?: ConfinedDirectories;
}

/** What became durable: written, fsynced, safe to record. */
export interface DurableProgress {
  bytesDone: number;
  segments: Segment[] | null;
  validator: RemoteValidator | null;
  bytesTotal: number | null;
}

export interface FileTransferCallbacks {
  /** Bytes received so far for this file (not necessarily durable); called often, keep it cheap. */
  onBytesReceived(bytesReceived: number): void;
  /** Called after each fsync; the job layer records it. Awaited: a failure aborts the transfer. */
  onDurable(progress: DurableProgress): Promise<void>;
  /** The file entered a separate verification pass; `bytesVerified` grows to the total. */
  onVerifying(bytesVerified: number, bytesTotal: number): void;
  /** Waiting before a retry (null when bytes flow again). */
  onStalled(state: StalledState | null): void;
}

export interface FileTransferResult {
  sha256: string;
  bytesTotal: number;
  format: FileFormat;
  validator: RemoteValidator | null;
  /** Human-readable warnings, e.g. pickle formats can run code when loaded. */
  warnings: string[];
}

/**
 * Downloads (or resumes) one file to `<modelsRoot>/<file.relativePath>`. Throws a ModeldockError
 * with a stable code on failure; the partial temp file is kept for resume unless the error says
 * the bytes are bad (HASH_MISMATCH, UPSTREAM_CHANGED).
 */
export type TransferFile = (
  file: FileRecord,
  context: FileTransferContext,
  callbacks: FileTransferCallbacks,
) => Promise<FileTransferResult>;
