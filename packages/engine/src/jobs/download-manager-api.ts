/**
 * The engine's public face: what the server (or a CLI, or a worker process) calls.
 * Implemented by `createDownloadManager` in ./download-manager.ts.
 */
import type { JobStatus, JobSummary } from '../job-model';
import type { JobEventType } from '../ports';
import type { AccessProblem, FilePlacement, ListedSourceFile } from '../sources/source-resolver';
import type { EnqueueRequest, EnqueueResult, PreviewRequest } from '../download-request';

// What a download asks for is declared below the job layer, so sources/, library/ and metadata/
// can speak of it without importing jobs/; it is part of this API all the same.
export type {
  BundleItem,
  CivitaiFileChoice,
  DestinationLayout,
  EnqueueRequest,
  EnqueueResult,
  PickedFile,
  PreviewRequest,
} from '../download-request';

/** What is at a file's destination now. */
export type OnDiskState =
  /** Nothing. */
  | 'missing'
  /** A download's partial file beside it. */
  | 'partial'
  /** The expected file (same SHA-256 when known, else same size when known). */
  | 'present'
  /** Something else (another file, a folder): a download would be refused until it is moved. */
  | 'conflict';

/** One file of a preview. */
export interface FilePreview {
  name: string;
  relativePath: string;
  bytesTotal: number | null;
  /** A published size that may be off by a few bytes (Civitai), when the exact one is unknown. */
  estimatedBytes: number | null;
  expectedSha256: string | null;
  /** 'denied' when the source refuses it now (see DownloadPreview.accessProblem). */
  access: 'ok' | 'unknown' | 'denied';
  credential: 'huggingface' | 'civitai' | null;
  onDisk: OnDiskState;
  /** What the file is (from its header, its source or its name) and why it goes where it goes. */
  placement: FilePlacement | null;
  /** Another file under the models root with the expected SHA-256, which `reuseExisting` would use. */
  existingMatch: { relativePath: string } | null;
}

/** One file of a repository listing, with what is at its destination now (null when it has none yet). */
export interface ListedFilePreview extends ListedSourceFile {
  onDisk: OnDiskState | null;
}

/** What a download would fetch, before anything starts (`sources.resolve`). */
export interface DownloadPreview {
  kind: string;
  source: string;
  files: FilePreview[];
  /** Sum of exact sizes, or null when one is unknown. */
  bytesTotal: number | null;
  warnings: string[];
  /** Every file of a repository or folder with its type and destination, for the file picker. */
  listing: ListedFilePreview[] | null;
  /** Set when a program would get AMBIGUOUS_INPUT (several quantisations): the user picks. */
  choiceRequired: string | null;
  /** The files are described but cannot be downloaded yet: what is wrong and what to do. */
  accessProblem: AccessProblem | null;
}

export type PresenceStatus = 'present' | 'partial' | 'missing';

export interface PresetFileView {
  name: string;
  relativePath: string;
  /** Where the file comes from, e.g. hf://org/name@main/file.gguf. */
  source: string;
  status: PresenceStatus;
  /** Size of the file at its destination, else of its largest partial download, else null. */
  bytesOnDisk: number | null;
  bytesTotal: number | null;
}

export interface PresetView {
  id: string;
  name: string;
  description: string;
  status: PresenceStatus;
  files: PresetFileView[];
}

/** One event for subscribers. `id` is what a client sends back as `lastEventId`. */
export interface JobEvent {
  id: string;
  jobId: string;
  type: JobEventType;
  /** The job's current summary; null only for 'removed'. */
  job: JobSummary | null;
}

export type JobEventListener = (event: JobEvent) => void;

export interface BandwidthLimits {
  /** Global cap across all jobs in this process, bytes per second; null = unlimited. */
  globalBps: number | null;
}

export interface ListQuery {
  status?: JobStatus[];
  limit?: number;
  cursor?: string | null;
}

export interface DownloadManager {
  /** Recovers interrupted jobs, removes temp files no job owns, then starts taking work. */
  start(): Promise<void>;
  /**
   * Graceful stop: takes no more work, aborts transfers, records each file's durable offset and
   * returns running jobs to the queue so they carry on after a restart.
   */
  stop(): Promise<void>;

  /**
   * Validates the request (bad input throws and records nothing) and records the job; returns at
   * once, before the source is resolved or any file is read. Resolving and checking files already
   * on disk are the job's first step (`phase`), whose errors fail the job.
   */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  getJob(jobId: string): Promise<JobSummary>;
  listJobs(query: ListQuery): Promise<{ items: JobSummary[]; nextCursor: string | null }>;
  pause(jobId: string): Promise<JobSummary>;
  resume(jobId: string): Promise<JobSummary>;
  /** Stops the transfer and removes partial files. */
  cancel(jobId: string): Promise<JobSummary>;
  /** Puts a failed or cancelled job back in the queue. */
  retry(jobId: string): Promise<JobSummary>;
  setPriority(jobId: string, priority: number): Promise<JobSummary>;
  /** Runs this job next among its priority. */
  moveToTop(jobId: string): Promise<JobSummary>;
  setJobBandwidthLimit(jobId: string, bytesPerSecond: number | null): Promise<JobSummary>;
  setGlobalBandwidthLimit(bytesPerSecond: number | null): BandwidthLimits;
  getBandwidthLimits(): BandwidthLimits;
  /**
   * Retention: completed and cancelled jobs finished before `finishedBefore` (null: none), failed
   * ones before `failedBefore`, then the stored events of removed jobs (never a completed file).
   */
  clearExpired(cutoffs: { finishedBefore: Date | null; failedBefore: Date; eventsBefore: Date }): Promise<{ removed: number; eventsPruned: number }>;
  /** Removes completed, failed and cancelled jobs (never their completed files). */
  clearFinished(): Promise<number>;
  /** Removes one completed, failed or cancelled job (never its completed files); INVALID_STATE otherwise. */
  removeJob(jobId: string): Promise<void>;
  /**
   * For a failed or cancelled multi-file job: deletes the files that job completed (never a file it
   * did not write, nor one changed since) and records it on the job. INVALID_STATE otherwise.
   */
  rollback(jobId: string): Promise<JobSummary>;

  /** Resolves a request and shows what it would fetch and what is already on disk; starts and writes nothing. */
  preview(request: PreviewRequest, options?: { signal?: AbortSignal }): Promise<DownloadPreview>;
  /** Every preset, with which of its files are on disk (no network). */
  presets(): Promise<PresetView[]>;
  /** One bundle job for a preset: files already present are kept, the others downloaded. */
  downloadPreset(presetId: string, options?: { priority?: number }): Promise<EnqueueResult>;

  /** Live events (status changes immediately, progress coalesced). Returns an unsubscribe. */
  subscribe(listener: JobEventListener): () => void;
  /** Stored events after `lastEventId` (status changes and removals), for replay on reconnect. */
  eventsAfter(lastEventId: string, jobId?: string): Promise<JobEvent[]>;
}
