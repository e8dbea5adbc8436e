/**
 * What every part of the download manager shares: the ports it was given, the resolved config, the
 * event hub, the limiters and the registry of jobs running in this process.
 */
import type { EngineConfig } from '../config';
import type { JobRecord, JobStatus, LiveProgress, NodePresence } from '../job-model';
import type { DestinationLocks } from './destination-locks';
import type { ValidatedEnqueueRequest } from './enqueue-request';
import type {
  Clock,
  CredentialProvider,
  FileSystem,
  HttpClient,
  JobStore,
  LocalFileIndex,
  Logger,
} from '../ports';
import type { LibraryContext } from '../library/library-context';
import type { ResolveContext } from '../sources/source-resolver';
import type { SourceResolver } from '../sources/source-resolver';
import type { BandwidthLimiter } from '../transfer/bandwidth';
import type { TransferFile } from '../transfer/file-transfer-api';
import type { JobEventHub } from './job-events';
import type { SecretUrlVault } from './secret-url-vault';
import type { SerialQueue } from './serial-queue';

/** Why a running job stops before finishing; passed as the abort reason the byte layer sees. */
export type StopReason = 'paused' | 'cancelled' | 'shutdown' | 'lease-lost';

/** A job running in this process. */
export interface JobRun {
  readonly jobId: string;
  /** Aborts the transfer at once; `settled` resolves once the durable offsets are recorded. */
  stop(reason: StopReason): void;
  readonly settled: Promise<void>;
  /** Bytes received but not yet durable, and the current speed. */
  live(): LiveProgress;
  setBandwidthLimit(bytesPerSecond: number | null): void;
  /** True once the job passed its disk-space check: from then on other jobs count what it needs. */
  readonly diskReserved: boolean;
  /** Set when the lease was lost: the status another process gave the job (null when unknown). */
  readonly lostToStatus: JobStatus | null | undefined;
  /** True for a run that only does the job's first step (resolving, checking existing files): it takes no download slot. */
  readonly preparesOnly: boolean;
}

export interface ManagerContext {
  readonly store: JobStore;
  readonly http: HttpClient;
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: EngineConfig;
  readonly workerId: string;
  /** This worker's node name: it claims jobs for any node and jobs for this one. */
  readonly nodeName: string;
  /** Which nodes are running, for "waiting for <node>"; null = only this one is known. */
  readonly presence: NodePresence | null;
  readonly credentials: CredentialProvider;
  readonly resolvers: readonly SourceResolver[];
  readonly transferFile: TransferFile;
  /** What is known about the files under the models root; null when the manager was given none. */
  readonly fileIndex: LocalFileIndex | null;
  readonly events: JobEventHub;
  readonly secretUrls: SecretUrlVault;
  readonly globalLimiter: BandwidthLimiter;
  readonly runs: Map<string, JobRun>;
  /** Disk-space checks take turns, so two jobs starting together see each other's reservation. */
  readonly diskChecks: SerialQueue;
  /** Hugging Face cache links take turns: files of one repository share its refs. */
  readonly cacheLinks: SerialQueue;
  /** Identical requests, and jobs' first steps writing the same destinations, take turns in this process. */
  readonly destinationLocks: DestinationLocks;
  /** Requests enqueued here whose first step has not run, as sent (their links may carry a secret). */
  readonly pendingRequests: Map<string, ValidatedEnqueueRequest>;
  /** Absolute path of the models root; its real path once the manager has started. */
  modelsRoot: string;
  /** Asks the scheduler to look for work (after enqueue, resume, retry, a finished job). */
  wakeScheduler(): void;
  /** True when this process runs fewer downloads than it may (a job's first step takes no slot). */
  hasFreeDownloadSlot(): boolean;
  /** True while this process takes work: a new job's first step can then start here at once. */
  canStartPreparation(): boolean;
  /** Runs the first step of a job just created leased to this worker (see enqueue). */
  startPreparation(job: JobRecord): void;
  now(): Date;
}

/** The library's view of the manager (null without a file index): same ports, same root. */
export function libraryContextOf(ctx: ManagerContext): LibraryContext | null {
  if (!ctx.fileIndex) return null;
  return {
    fs: ctx.fs,
    index: ctx.fileIndex,
    logger: ctx.logger,
    modelsRoot: ctx.modelsRoot,
    now: () => ctx.now(),
  };
}

/** What a resolver gets from the manager. */
export function resolveContextOf(ctx: ManagerContext): ResolveContext {
  return {
    http: ctx.http,
    fs: ctx.fs,
    clock: ctx.clock,
    logger: ctx.logger,
    config: ctx.config,
    credentials: ctx.credentials,
    modelsRoot: ctx.modelsRoot,
  };
}
