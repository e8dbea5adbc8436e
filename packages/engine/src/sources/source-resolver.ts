/**
 * Turns what a user pasted into concrete files (URL, size, expected hash, destination, credential)
 * before any byte flows. Direct URLs, Hugging Face and Civitai each have a resolver; the first whose
 * `accepts` says yes resolves the request.
 */
import type { EngineConfig } from '../config';
import type { EnqueueRequest } from '../download-request';
import type { ErrorCode } from '../errors';
import type { Clock, CredentialProvider, FileSystem, HttpClient, Logger, NewFile } from '../ports';
import type { FilePlacement } from './file-placement';

export type { FilePlacement } from './file-placement';

export interface ResolveContext {
  http: HttpClient;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  config: EngineConfig;
  credentials: CredentialProvider;
  modelsRoot: string;
  signal?: AbortSignal;
  /**
   * 'preview' (sources.resolve): list every file a user could tick, read headers to show types, and
   * report an access problem beside the files instead of failing. Default 'enqueue'.
   */
  purpose?: 'preview' | 'enqueue';
}

/** How a resolved file can be reached, checked before any byte flows. */
export type FileAccess = 'ok' | 'unknown' | 'denied';

export interface ResolvedFile extends NewFile {
  access: FileAccess;
  /**
   * A size the source published but that may be off by a few bytes (Civitai's `sizeKB`), for
   * previews and disk-space estimates when `bytesTotal` is null. Never used to verify bytes.
   */
  estimatedBytes?: number | null;
  /** What the file is and why it goes where it goes; `needsFolder` when the user must choose. */
  placement?: FilePlacement;
}

/** A file of a repository listing, ticked or not, for the file picker. */
export interface ListedSourceFile {
  path: string;
  size: number | null;
  /** 'weights', 'loader' (config.json, tokenizer), 'documentation', 'other'. */
  role: string;
  /** GGUF quantisation when the repository offers several. */
  group: string | null;
  /** Taken when the user ticks nothing else. */
  selected: boolean;
  /** Where it would land, or null when a folder must be chosen. */
  relativePath: string | null;
  placement: FilePlacement | null;
}

/** Why the files cannot be downloaded yet, shown beside them (a gated repository, a missing key). */
export interface AccessProblem {
  code: ErrorCode;
  message: string;
}

export interface ResolvedSource {
  /** 'direct', 'huggingface', 'civitai', 'bundle'. */
  kind: string;
  /** What the user asked for, redacted, as shown in the job list. */
  source: string;
  files: ResolvedFile[];
  /** Things the user should know before downloading (pickle formats, failed malware scans). */
  warnings?: string[];
  /** Every file of a repository or folder, for the file picker (previews only). */
  listing?: ListedSourceFile[];
  /** Set when a program must choose among the files (several quantisations); previews show the picker. */
  choiceRequired?: string | null;
  /** Previews only: the files are described but cannot be downloaded yet. */
  accessProblem?: AccessProblem | null;
}

export interface SourceResolver {
  readonly kind: string;
  /** Cheap, synchronous: does this input look like mine? */
  accepts(input: string): boolean;
  /**
   * Cheap, synchronous, no network: throws what `resolve` would throw for the request itself (a
   * malformed link, a field this source does not take), so `enqueue` refuses it before creating a job.
   */
  checkInput?(request: EnqueueRequest): void;
  resolve(request: EnqueueRequest, context: ResolveContext): Promise<ResolvedSource>;
}
