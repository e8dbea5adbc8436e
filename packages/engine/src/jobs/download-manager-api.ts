/**
 * The engine's public face: what the server (or a CLI, or a worker process) calls.
 * Implemented by `createDownloadManager` in ./download-manager.ts.
 */
import type { JobStatus, JobSummary } from '../job-model';
import type { JobEventType } from '../ports';
import type { AccessProblem, FilePlacement, ListedSourceFile } from '../sources/source-resolver';

export interface EnqueueRequest {
  /** What the user pasted: a direct URL today; Hugging Face / Civitai inputs through sources/. */
  url: string;
  /** Folder under the models root, e.g. "checkpoints"; confined to the root. */
  folder?: string;
  /** Final file name; sanitised. Only meaningful for single-file inputs. */
  filename?: string;
  /** Expected SHA-256 (hex) given by the user. */
  sha256?: string;
  /** Higher runs first; default 0. Must be >= 0. */
  priority?: number;
  /** Per-job bandwidth cap in bytes per second. */
  bandwidthLimitBps?: number | null;
  /** For multi-file jobs: keep completed files or roll the whole job back when one fails. */
  onFileFailure?: 'keep' | 'rollback';
  /**
   * Hugging Face: branch, tag or commit to download (default: the one in the URL, else "main").
   * The files are pinned to the commit it points to when the job is created.
   */
  revision?: string;
  /** Hugging Face repositories: glob patterns of files to take, e.g. ["*Q8_0.gguf"] (fnmatch: `*` also crosses '/'). */
  include?: string[];
  /** Hugging Face repositories: glob patterns of files to leave out, applied after `include`. */
  exclude?: string[];
  /**
   * Hugging Face repositories or folders: exactly these files (paths in the repository), each
   * optionally with its own folder — what the file picker sends. Overrides the default selection.
   */
  files?: PickedFile[];
  /** Civitai: which file of the model version to take; default the version's primary file. */
  civitaiFile?: CivitaiFileChoice;
  /**
   * Where files land under the models root: 'comfyui' (default) puts each file in its ComfyUI folder
   * (checkpoints, loras, vae, …); 'hf-cache' writes a Hugging Face cache (models--org--name/…) so
   * diffusers and transformers find the files offline (HF_HOME=<models root>/huggingface).
   */
  layout?: DestinationLayout;
  /**
   * When a file's expected SHA-256 matches a file already under the models root (found through the
   * local file index), place that file at the destination (hard link on the same file system, else a
   * copy) and verify it, instead of downloading it again.
   */
  reuseExisting?: boolean;
  /**
   * The worker (its MODELDOCK_NODE_NAME) that must download it, into its own models folder; absent =
   * any worker sharing the database. While that worker is not running the job waits.
   */
  node?: string;
  /** `bundle:<label>` inputs only: the files of the bundle, each from its own source (see BundleItem). */
  bundle?: BundleItem[];
}

/** One file of a bundle job: what to resolve, and exactly where it lands. */
export interface BundleItem {
  /** What a user could paste: hf://org/name@commit/path, a Civitai link or id, an http(s) URL. */
  input: string;
  /** Folder under the models root ('' for the root; the cache folder with layout 'hf-cache'). */
  folder: string;
  /** File name inside `folder` (ignored with layout 'hf-cache'). */
  filename?: string;
  /** Expected SHA-256; the file is verified against it. */
  sha256?: string;
  civitaiFile?: CivitaiFileChoice;
  layout?: DestinationLayout;
}

export type DestinationLayout = 'comfyui' | 'hf-cache';

/** One ticked file of a repository. */
export interface PickedFile {
  path: string;
  /** Folder under the models root for this file; default: the request's folder, else the detected one. */
  folder?: string;
}

/** Civitai file filters, matched case-insensitively against the version's files; `fileId` picks one exactly. */
export interface CivitaiFileChoice {
  /** File type: "Model", "Pruned Model", "VAE", "Text Encoder", "Config", … */
  type?: string;
  /** "SafeTensor", "PickleTensor", "GGUF", "Diffusers", "ONNX", "Other". */
  format?: string;
  /** "full" or "pruned". */
  size?: string;
  /** "fp32", "fp16", "bf16", "fp8", "nf4". */
  fp?: string;
  /** GGUF quantisation, e.g. "Q8_0". */
  quantType?: string;
  fileId?: number;
}

export interface EnqueueResult {
  jobId: string;
  /**
   * True when an active job created from the same request (same link, folder, file name, files…)
   * exists and the request attached to it. What the job finds on disk (files already present, or
   * reused with `reuseExisting`) is known after its first step: see the job's files (status
   * 'present', or 'completed' with no byte downloaded).
   */
  attached: boolean;
}

/** What `preview` takes: an enqueue request without the fields that only matter once it runs. */
export type PreviewRequest = Omit<
  EnqueueRequest,
  'priority' | 'bandwidthLimitBps' | 'onFileFailure' | 'reuseExisting'
>;

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
