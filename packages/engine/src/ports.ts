/**
 * What the engine needs from the outside world, passed in as arguments. The engine never imports a
 * database driver, an HTTP framework or the server: tests drive it with fakes in milliseconds, and the
 * server wires in `@modeldock/db` and the undici client.
 */
import type { JobError } from './errors';
import type { LibrarySource } from './library/library-entry';
import type {
  CredentialKind,
  FileFormat,
  FileRecord,
  FileStatus,
  JobPhase,
  JobRecord,
  JobStatus,
  JobSummary,
  PendingRequest,
  RemoteValidator,
  Segment,
  StalledState,
} from './job-model';

// ---------------------------------------------------------------------------------------------
// Job store: implemented over SQL by packages/db, and in memory for engine unit tests.
// ---------------------------------------------------------------------------------------------

export interface NewFile {
  url: string;
  name: string;
  relativePath: string;
  bytesTotal: number | null;
  expectedSha256: string | null;
  credential: CredentialKind;
  revision: string | null;
  /** 'present' when the file is already at its destination and verified. */
  status?: FileStatus;
  /** Bytes already done (a present or reused file); default 0. */
  bytesDone?: number;
  /** SHA-256 computed from the bytes, when already known (a present or reused file). */
  sha256?: string | null;
}

export interface NewJob {
  source: string;
  kind: string;
  priority: number;
  files: NewFile[];
  bandwidthLimitBps?: number | null;
  onFileFailure?: 'keep' | 'rollback';
  /** Status to create the job in; 'completed' when every file is already present. */
  status?: JobStatus;
  /** Only the worker of this name may claim it; null/absent = any worker. */
  node?: string | null;
  /** The first step still to run (see JobRecord.phase); absent = none. */
  phase?: JobPhase | null;
  request?: PendingRequest | null;
  requestKey?: string | null;
  /** Created already leased to this worker (it runs the job's first step at once). */
  lease?: { owner: string; expiresAt: Date } | null;
}

export interface JobPatch {
  status?: JobStatus;
  priority?: number;
  /** Set to move the job within its priority (smaller runs first). */
  queueOrder?: number;
  error?: JobError | null;
  stalled?: StalledState | null;
  bandwidthLimitBps?: number | null;
  speedBps?: number;
  attempts?: number;
  warnings?: string[];
  startedAt?: Date | null;
  finishedAt?: Date | null;
  /** Clears the lease (leaseOwner and leaseExpiresAt become null). */
  releaseLease?: boolean;
  phase?: JobPhase | null;
  request?: PendingRequest | null;
  /** What the job downloads, once its first step resolved the request (e.g. hf://org/name@main). */
  source?: string;
  kind?: string;
}

export interface FilePatch {
  status?: FileStatus;
  bytesDone?: number;
  bytesTotal?: number | null;
  sha256?: string | null;
  expectedSha256?: string | null;
  validator?: RemoteValidator | null;
  segments?: Segment[] | null;
  format?: FileFormat | null;
  error?: JobError | null;
  url?: string;
  revision?: string | null;
}

/** One patch of `JobStore.updateFiles`. */
export interface FileUpdate {
  fileId: string;
  patch: FilePatch;
}

export interface ListJobsQuery {
  statuses?: JobStatus[];
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string | null;
}

export interface JobPage {
  items: JobRecord[];
  nextCursor: string | null;
}

/** A status change or other notable event, stored so a reconnecting client misses none. */
export interface StoredJobEvent {
  /** Monotonic across the whole store (a bigserial as a decimal string). */
  id: string;
  jobId: string;
  type: JobEventType;
  job: JobSummary | null;
  createdAt: Date;
}

export type JobEventType = 'created' | 'status' | 'progress' | 'updated' | 'removed';

export type LeaseOutcome =
  /** Still ours and still running. */
  | { kind: 'held' }
  /** Someone changed the job (pause, cancel) or another worker owns it: stop writing now. */
  | { kind: 'lost'; status: JobStatus | null };

export interface JobStore {
  createJob(job: NewJob, now: Date): Promise<JobRecord>;
  getJob(jobId: string): Promise<JobRecord | null>;
  listJobs(query: ListJobsQuery): Promise<JobPage>;
  /** An active (queued/running/paused/verifying) job already writing one of these destinations. */
  findActiveJobByDestination(relativePaths: string[]): Promise<JobRecord | null>;
  /**
   * Atomically takes the next runnable job: status 'queued' (or 'running'/'verifying' whose lease
   * expired, i.e. its worker died), highest priority first, then lowest queueOrder, among jobs for
   * any node and jobs for `nodeName` (absent: only jobs for any node). Sets status 'running' unless
   * it was 'verifying', and the lease to `workerId` until `now + leaseMs`.
   */
  claimNextJob(
    workerId: string,
    leaseMs: number,
    now: Date,
    nodeName?: string,
  ): Promise<JobRecord | null>;
  /** The oldest active job created from an identical request (same `requestKey`), if any. */
  findActiveJobByRequestKey(requestKey: string): Promise<JobRecord | null>;
  /**
   * The end of a job's first step, at once: stores its files (the job must have none) and applies
   * `patch`, only while `ownerId` holds the lease. Null (and nothing stored) when it does not.
   */
  addPreparedFiles(
    jobId: string,
    files: NewFile[],
    patch: JobPatch,
    now: Date,
    ownerId: string,
  ): Promise<JobRecord | null>;
  /** Extends the lease if the job is still ours and running/verifying. */
  renewLease(jobId: string, workerId: string, leaseMs: number, now: Date): Promise<LeaseOutcome>;
  /**
   * Applies a patch. When `ownerId` is given the update only happens while that worker holds the
   * lease, so a worker that lost its job cannot overwrite what the user decided.
   */
  updateJob(jobId: string, patch: JobPatch, now: Date, ownerId?: string): Promise<JobRecord | null>;
  updateFile(fileId: string, patch: FilePatch, now: Date): Promise<void>;
  /**
   * Several file patches at once, as if `updateFile` were called for each in turn, in one write
   * where the store can (a bundle of a thousand small files then costs a few writes, not a
   * thousand).
   */
  updateFiles(updates: FileUpdate[], now: Date): Promise<void>;
  /**
   * `updateJob` for a caller that keeps its own copy of the job's files (the worker running it):
   * the same guarded update, without reading a thousand file rows back.
   */
  updateJobWithoutFiles(
    jobId: string,
    patch: JobPatch,
    now: Date,
    ownerId?: string,
  ): Promise<Omit<JobRecord, 'files'> | null>;
  /**
   * Jobs removed; files on disk are the caller's business. With `onlyStatuses`, a job is removed
   * only while it is in one of them (checked and removed at once), so a job retried meanwhile stays.
   */
  deleteJobs(jobIds: string[], onlyStatuses?: readonly JobStatus[]): Promise<number>;
  /**
   * Removes stored events of jobs that no longer exist, except 'removed' events created at or after
   * `removedBefore` (a client reconnecting still learns the job went).
   */
  pruneJobEvents(removedBefore: Date): Promise<number>;
  /** Finished (completed, failed, cancelled) jobs finished before `before` (all when omitted). */
  listFinishedJobIds(before?: Date): Promise<string[]>;
  /** Every job in an active status; used for disk reservations, orphan cleanup and recovery. */
  listActiveJobs(): Promise<JobRecord[]>;
  /** The smallest queueOrder in use, so "move to top" can go below it. */
  minQueueOrder(): Promise<number>;
  appendEvent(
    jobId: string,
    type: JobEventType,
    job: JobSummary | null,
    now: Date,
  ): Promise<StoredJobEvent>;
  /** Stored events after `afterId`, oldest first, optionally for one job. */
  listEventsAfter(afterId: string, jobId?: string, limit?: number): Promise<StoredJobEvent[]>;
  latestEventId(): Promise<string>;
}

// ---------------------------------------------------------------------------------------------
// Workers: the processes sharing a database, each with a name (MODELDOCK_NODE_NAME) and a
// heartbeat, so a job for a node runs only there and waits while that node is down.
// ---------------------------------------------------------------------------------------------

export interface WorkerRecord {
  /** This process's lease owner id (host:pid:random). */
  id: string;
  /** Its node name; several processes may share one (they then share its jobs). */
  name: string;
  startedAt: Date;
  lastHeartbeatAt: Date;
}

export interface WorkerStore {
  /** Inserts or refreshes this worker's row. */
  recordHeartbeat(worker: { id: string; name: string; startedAt: Date }, now: Date): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;
  /** Removes workers by id (a graceful stop), or those silent since before `before`. */
  removeWorkers(query: { ids?: string[]; silentSince?: Date }): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// HTTP: one request at a time, never following redirects (the engine follows them itself so it
// can drop Authorization across hosts and check every hop).
// ---------------------------------------------------------------------------------------------

export interface HttpRequest {
  url: string;
  /** POST only for small JSON queries to a hub's API (Civitai's batched lookup by hash). */
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  /** A request body (POST only), sent as given. */
  body?: string;
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lowercased header names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The body as it arrives, with no decoding. */
  body: AsyncIterable<Uint8Array>;
  /** Discards the rest of the body and frees the connection. */
  dump(): Promise<void>;
}

export interface HttpClient {
  request(request: HttpRequest): Promise<HttpResponse>;
}

// ---------------------------------------------------------------------------------------------
// File system: the subset of node:fs/promises the engine uses, so tests can inject disk faults.
// ---------------------------------------------------------------------------------------------

export interface WritableFile {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export interface FileStat {
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
  mtimeMs: number;
  /** Inode number when the file system has one: a renamed file keeps it, a rewritten copy does not. */
  ino?: number;
}

export interface FileSystem {
  /** Flags as in node: 'r', 'r+', 'w', 'wx', 'a+' … */
  open(path: string, flags: string): Promise<WritableFile>;
  stat(path: string): Promise<FileStat | null>;
  lstat(path: string): Promise<FileStat | null>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  realpath(path: string): Promise<string>;
  /** fsync a directory so a rename inside it survives a power cut. */
  syncDirectory(path: string): Promise<void>;
  /** Bytes available to an unprivileged writer on the file system holding `path`. */
  freeBytes(path: string): Promise<number>;
  /** Creates a symbolic link at `linkPath` holding `target` verbatim (relative targets stay relative). */
  symlink(target: string, linkPath: string): Promise<void>;
  /**
   * Creates a hard link at `newPath` to the file at `existingPath` (both then name the same bytes).
   * Fails with EXDEV across file systems (or EPERM where links are not allowed); callers copy instead.
   */
  link(existingPath: string, newPath: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Time and logging.
// ---------------------------------------------------------------------------------------------

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A pino-compatible subset. Callers pass only redacted values. */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

// ---------------------------------------------------------------------------------------------
// Local file index: what is known about the files under the models root (path, size, mtime,
// SHA-256), so a file already on disk is found by its hash. Implemented over SQL by packages/db.
// ---------------------------------------------------------------------------------------------

export interface IndexedFile {
  /** Relative to the models root, POSIX separators. */
  relativePath: string;
  size: number;
  /** Modification time when the file was hashed: a different one means the hash must be redone. */
  mtimeMs: number;
  /** Lowercase hex. */
  sha256: string;
  /** The kind of job that wrote it ('huggingface', 'civitai', 'direct', 'bundle'), or null when found on disk. */
  sourceKind: string | null;
  /** Decimal inode number when known (a rename keeps it). */
  inode?: string | null;
  /** Where a download got it (the library's source); null/absent keeps what was known for the same bytes. */
  source?: LibrarySource | null;
  /** The job that wrote it. */
  jobId?: string | null;
  indexedAt: Date;
}

export interface LocalFileIndex {
  /** Records what is known about a file, replacing what was known about that path. */
  record(file: Omit<IndexedFile, 'indexedAt'>, now: Date): Promise<void>;
  /** `record` for several files in one write (a path given twice keeps the last). */
  recordMany(files: Omit<IndexedFile, 'indexedAt'>[], now: Date): Promise<void>;
  get(relativePath: string): Promise<IndexedFile | null>;
  /** Files whose recorded SHA-256 is `sha256`, in path order. */
  findBySha256(sha256: string): Promise<IndexedFile[]>;
  /** Every indexed file in path order, one page after `afterPath` (exclusive). */
  list(afterPath: string | null, limit: number): Promise<IndexedFile[]>;
  /** Forgets these paths; returns how many were known. */
  forget(relativePaths: string[]): Promise<number>;
}

/** Looks up the credential for a platform at request time; returns null when none is configured. */
export type CredentialProvider = (kind: Exclude<CredentialKind, null>) => Promise<string | null>;

export type { FileRecord, JobRecord, JobStatus };
