/**
 * Turns what a user pasted into concrete files (URL, size, expected hash, destination, credential)
 * before any byte flows. Direct URLs, Hugging Face and Civitai each have a resolver; the first whose
 * `accepts` says yes resolves the request.
 */
import type { EngineConfig } from '../config';
import type { EnqueueRequest } from '../jobs/download-manager-api';
import type { Clock, CredentialProvider, FileSystem, HttpClient, Logger, NewFile } from '../ports';

export interface ResolveContext {
  http: HttpClient;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  config: EngineConfig;
  credentials: CredentialProvider;
  modelsRoot: string;
  signal?: AbortSignal;
}

/** How a resolved file can be reached, checked before any byte flows. */
export type FileAccess = 'ok' | 'unknown';

export interface ResolvedFile extends NewFile {
  access: FileAccess;
  /**
   * A size the source published but that may be off by a few bytes (Civitai's `sizeKB`), for
   * previews and disk-space estimates when `bytesTotal` is null. Never used to verify bytes.
   */
  estimatedBytes?: number | null;
}

export interface ResolvedSource {
  /** 'direct', 'huggingface', 'civitai', 'bundle'. */
  kind: string;
  /** What the user asked for, redacted, as shown in the job list. */
  source: string;
  files: ResolvedFile[];
  /** Things the user should know before downloading (pickle formats, failed malware scans). */
  warnings?: string[];
}

export interface SourceResolver {
  readonly kind: string;
  /** Cheap, synchronous: does this input look like mine? */
  accepts(input: string): boolean;
  resolve(request: EnqueueRequest, context: ResolveContext): Promise<ResolvedSource>;
}
