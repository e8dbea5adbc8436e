/**
 * The job model shared by the engine, the database and the API.
 * A job has one or more files; each file is resumable from a durable byte offset.
 */
import type { JobError } from './errors';
import type { JobStatus } from './job-statuses';
import { allowedActions } from './job-transitions';
import type { JobAction } from './job-transitions';

export { JOB_STATUSES, FINISHED_STATUSES, ACTIVE_STATUSES } from './job-statuses';
export type { JobStatus } from './job-statuses';

export const FILE_STATUSES = [
  'queued',
  'running',
  'verifying',
  'completed',
  'failed',
  'cancelled',
  /** Already at its destination and verified: nothing was downloaded. */
  'present',
] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** Which credential a file's requests carry; the key itself is looked up at request time, never stored here. */
export type CredentialKind = 'huggingface' | 'civitai' | null;

/** What the server told us identifies this exact version of the bytes. */
export interface RemoteValidator {
  /** Strong ETag as sent (quotes kept), or null when only weak or none. */
  etag: string | null;
  lastModified: string | null;
}

/** One byte range of a file fetched over its own connection. `end` is exclusive. */
export interface Segment {
  start: number;
  end: number;
  /** Durable (fsynced) bytes written from `start`. */
  done: number;
}

/** Model file formats the engine recognises, and the one it flags. */
export type FileFormat = 'safetensors' | 'gguf' | 'pickle' | 'other';

export interface FileRecord {
  id: string;
  jobId: string;
  /** Position within the job, from 0. */
  index: number;
  /** Where the bytes come from. Never contains a secret. */
  url: string;
  /** Display name (the final path's base name). */
  name: string;
  /** Destination relative to the models root, POSIX separators, already confined. */
  relativePath: string;
  /** Durable bytes: never more than what is fsynced on disk. */
  bytesDone: number;
  bytesTotal: number | null;
  /** Lowercase hex SHA-256 the source published, when known. */
  expectedSha256: string | null;
  /** Lowercase hex SHA-256 computed from the bytes, once verified. */
  sha256: string | null;
  status: FileStatus;
  validator: RemoteValidator | null;
  /** Present when the file is fetched over several connections. */
  segments: Segment[] | null;
  credential: CredentialKind;
  /** Format found by the post-download check; 'pickle' is shown as a warning. */
  format: FileFormat | null;
  /** Pinned upstream revision (e.g. a Hugging Face commit): a change fails with UPSTREAM_CHANGED. */
  revision: string | null;
  error: JobError | null;
}

/**
 * The first step of a job, before any byte of a file moves: its source is resolved into files
 * (Hugging Face, Civitai, a link's header), then what already sits at the destinations is checked
 * (hashed) or reused. `enqueue` returns before this step; the job shows it while it runs.
 */
export type JobPhaseStep = 'resolving' | 'verifying-existing';

export interface JobPhase {
  step: JobPhaseStep;
  /** What is being done now, for people ("Checking loras/a.safetensors, already on disk"). */
  detail: string | null;
  /** Bytes of existing files read so far while verifying them (0 while resolving). */
  bytesDone: number;
  bytesTotal: number | null;
}

/** An enqueue request kept on its job until the job's first step resolves it (plain JSON). */
export type PendingRequest = Record<string, unknown> & { url: string };

/** Why a running job is waiting, shown while it retries. */
export interface StalledState {
  reason: string;
  code: string;
  /** ISO time of the next attempt. */
  nextAttemptAt: string;
  attempt: number;
}

export interface JobRecord {
  id: string;
  status: JobStatus;
  /** What the user asked for (URL, repo id, …), redacted. */
  source: string;
  /** Which resolver produced the files: 'direct', 'huggingface', 'civitai', 'bundle'. */
  kind: string;
  /** Higher runs first; FIFO within a priority. */
  priority: number;
  /** Monotonic order of arrival; "move to top" gives a smaller value. */
  queueOrder: number;
  files: FileRecord[];
  error: JobError | null;
  stalled: StalledState | null;
  /** Bytes per second this job may use, or null for no per-job limit. */
  bandwidthLimitBps: number | null;
  /** Last measured transfer speed, written with progress. */
  speedBps: number;
  /** Attempts used since the last success or user retry. */
  attempts: number;
  /** What to do with completed files when another file of the bundle fails. */
  onFileFailure: 'keep' | 'rollback';
  /** Free-form warnings such as a pickle format, shown with the job. */
  warnings: string[];
  /** The worker (MODELDOCK_NODE_NAME) that must run it; null = any worker sharing the database. */
  node: string | null;
  /**
   * Set until the job's first step (resolving its source, checking existing files) has run: the
   * files are unknown until then. A worker that claims a job with a phase runs that step first.
   */
  phase?: JobPhase | null;
  /** The enqueue request the first step resolves (its link redacted); null once resolved. */
  request?: PendingRequest | null;
  /** Identifies the request (its link, folder, file name, …) so an identical one attaches to this job. */
  requestKey?: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The public, plain-JSON shape of a job's file. */
export interface JobFileSummary {
  name: string;
  relativePath: string;
  bytesDone: number;
  bytesTotal: number | null;
  sha256: string | null;
  expectedSha256: string | null;
  status: FileStatus;
  format: FileFormat | null;
  error: JobError | null;
}

/** The public, plain-JSON shape of a job: the API's `Job`. */
export interface JobSummary {
  id: string;
  status: JobStatus;
  source: string;
  kind: string;
  priority: number;
  /** Order of arrival within a priority (smaller runs first; "move to top" lowers it), so clients can show the queue in run order. */
  queueOrder: number;
  files: JobFileSummary[];
  bytesDone: number;
  bytesTotal: number | null;
  speedBps: number;
  etaSeconds: number | null;
  error: JobError | null;
  stalled: StalledState | null;
  bandwidthLimitBps: number | null;
  warnings: string[];
  /** Index of the file being transferred, for bundles (0-based), or null. */
  currentFileIndex: number | null;
  /** The worker that must run it (`node` at enqueue), or null for any. */
  node: string | null;
  /** Set while the job is queued for a node whose worker is not running: "waiting for <node>". */
  waitingFor: string | null;
  /** What a user can do to the job now (`downloads.pause`, …), from the engine's transition rules. */
  actions: JobAction[];
  /** The job's first step while it has not finished (resolving its source, verifying existing files), else null. */
  phase: JobPhase | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** Live numbers the running worker knows better than the database (bytes received but not yet fsynced). */
export interface LiveProgress {
  /** Bytes received per file id, including those not yet durable. */
  bytesByFileId: Map<string, number>;
  speedBps: number;
}

function sumBytes(files: { bytesDone: number }[]): number {
  return files.reduce((total, file) => total + file.bytesDone, 0);
}

/** What a reader of the store knows about leases, to tell a live worker from a dead one. */
export interface LeaseView {
  /** Milliseconds since the epoch. */
  now: number;
  leaseMs: number;
  /** This process's worker id: its own jobs are judged by their runs, not their leases. */
  workerId: string;
}

/** Leases are renewed every third of their length; a holder that missed two renewals is not responding. */
export const MISSED_BEATS_FOR_NOT_RESPONDING = 2;

/**
 * A running job whose holder (another process) has missed two lease renewals: shown as waiting,
 * with speed 0, until its lease lapses and another worker resumes it. Null while the holder beats.
 */
export function notRespondingState(job: JobRecord, view: LeaseView): StalledState | null {
  if (job.status !== 'running' && job.status !== 'verifying') return null;
  if (job.leaseOwner === null || job.leaseExpiresAt === null || job.leaseOwner === view.workerId)
    return null;
  const expiresAt = job.leaseExpiresAt.getTime();
  const lastBeat = expiresAt - view.leaseMs;
  const beatMs = view.leaseMs / 3;
  if (view.now - lastBeat <= MISSED_BEATS_FOR_NOT_RESPONDING * beatMs) return null;
  const seconds = Math.max(0, Math.ceil((expiresAt - view.now) / 1000));
  return {
    reason: `The worker running this download stopped responding; another one resumes it in ${seconds} s`,
    code: 'WORKER_NOT_RESPONDING',
    nextAttemptAt: new Date(expiresAt).toISOString(),
    attempt: job.attempts + 1,
  };
}

/** Which workers are running now, as far as this process knows (their heartbeats). */
export interface NodePresence {
  isAlive(node: string): boolean;
}

/**
 * Converts an internal record to the API's `Job`, overlaying live progress when the caller has it;
 * with `presence`, a queued job for a node that is not running says it is waiting for it.
 */
export function toJobSummary(
  job: JobRecord,
  live?: LiveProgress,
  leases?: LeaseView,
  presence?: NodePresence,
): JobSummary {
  const notResponding = leases && !live ? notRespondingState(job, leases) : null;
  if (notResponding) job = { ...job, stalled: notResponding };
  const files: JobFileSummary[] = job.files.map((file) => ({
    name: file.name,
    relativePath: file.relativePath,
    bytesDone: Math.max(file.bytesDone, live?.bytesByFileId.get(file.id) ?? 0),
    bytesTotal: file.bytesTotal,
    sha256: file.sha256,
    expectedSha256: file.expectedSha256,
    status: file.status,
    format: file.format,
    error: file.error,
  }));
  const bytesDone = sumBytes(files);
  const bytesTotal = files.every((file) => file.bytesTotal !== null)
    ? files.reduce((total, file) => total + (file.bytesTotal ?? 0), 0)
    : null;
  // A stalled job waits to retry: no byte moves, whatever the last few seconds' average says.
  const isMoving =
    notResponding === null &&
    ((job.status === 'running' && job.stalled === null) || job.status === 'verifying');
  const speedBps = isMoving ? Math.max(0, Math.round(live?.speedBps ?? job.speedBps)) : 0;
  const etaSeconds =
    isMoving && bytesTotal !== null && speedBps > 0
      ? Math.max(0, Math.ceil((bytesTotal - bytesDone) / speedBps))
      : null;
  const current = job.files.find((file) => file.status === 'running' || file.status === 'verifying');
  return {
    id: job.id,
    status: job.status,
    source: job.source,
    kind: job.kind,
    priority: job.priority,
    queueOrder: job.queueOrder,
    files,
    bytesDone,
    bytesTotal,
    speedBps,
    etaSeconds,
    error: job.error,
    stalled: job.status === 'running' || notResponding ? job.stalled : null,
    bandwidthLimitBps: job.bandwidthLimitBps,
    warnings: job.warnings,
    currentFileIndex: current ? current.index : null,
    node: job.node,
    waitingFor: job.status === 'queued' && job.node !== null && presence && !presence.isAlive(job.node) ? job.node : null,
    actions: allowedActions({ status: job.status, fileCount: job.files.length }),
    // A failed or cancelled job shows its error, not a step that no longer runs.
    phase: job.status === 'running' || job.status === 'queued' || job.status === 'paused' ? (job.phase ?? null) : null,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt ? job.finishedAt.toISOString() : null,
  };
}
