/**
 * Errors are values: every failure the engine reports carries a stable `code` that tests and
 * clients branch on, and a `message` a person can act on. Secrets never enter either.
 */
import { redactSecrets } from './secrets/redact';

export const ERROR_CODES = [
  // Bad input: nothing is written when one of these is returned.
  'INVALID_INPUT',
  'INVALID_URL',
  'UNSUPPORTED_SCHEME',
  'PRIVATE_ADDRESS',
  'PATH_OUTSIDE_ROOT',
  'JOB_NOT_FOUND',
  'INVALID_STATE',
  'DESTINATION_EXISTS',
  // The model library and its refresh tasks.
  /** No library entry has this id. */
  'MODEL_NOT_FOUND',
  /** No refresh task has this id. */
  'TASK_NOT_FOUND',
  /** No notification destination has this id. */
  'NOTIFICATION_DESTINATION_NOT_FOUND',
  /** A running download is writing this file. */
  'FILE_IN_USE',
  // Network and HTTP.
  'NETWORK_ERROR',
  'CONNECTION_REFUSED',
  'DNS_FAILED',
  'IDLE_TIMEOUT',
  'PREMATURE_EOF',
  'TOO_MANY_REDIRECTS',
  'HTTP_ERROR',
  'AUTH_REQUIRED',
  'FORBIDDEN',
  'REMOTE_NOT_FOUND',
  'RATE_LIMITED',
  /** Too many wrong access tokens from one address: it must wait before presenting another. */
  'ACCESS_TOKEN_THROTTLED',
  'SERVER_ERROR',
  // Integrity.
  'BAD_CONTENT_RANGE',
  'UPSTREAM_CHANGED',
  'SIZE_MISMATCH',
  'HASH_MISMATCH',
  'NOT_A_MODEL',
  'INVALID_FORMAT',
  // Local disk and process.
  'DISK_FULL',
  'IO_ERROR',
  'STALE',
  'LEASE_LOST',
  'CANCELLED',
  'SHUTDOWN',
  // Sources (Hugging Face, Civitai).
  'UNRECOGNISED_INPUT',
  'AMBIGUOUS_INPUT',
  /** A file whose kind nothing tells: the request must name its folder. */
  'FOLDER_REQUIRED',
  'GATED_REPO',
  'GATED_NOT_APPROVED',
  'REPO_NOT_FOUND',
  'REVISION_NOT_FOUND',
  'ENTRY_NOT_FOUND',
  'INVALID_TOKEN',
  'EARLY_ACCESS',
  'NO_ACCESS',
  'ARCHIVED',
  'SIGNED_URL_EXPIRED',
  // Model metadata (sidecars and previews).
  /** A sidecar (.civitai.info, .metadata.json, .json) that is not JSON, too large or of the wrong shape. */
  'INVALID_SIDECAR',
  /** A preview that is not a PNG, JPEG, WebP or AVIF image by its bytes, or is larger than allowed. */
  'NOT_AN_IMAGE',
  // Database (packages/db).
  /** The embedded database's data directory is in use by another live process. */
  'DATABASE_LOCKED',
  /** The database cannot be reached, failed an operation, or cannot bring its schema up to date. */
  'DATABASE_UNAVAILABLE',
  // The modeldock server itself (apps/server).
  /** The server has an access token (MODELDOCK_ACCESS_TOKEN) and the request did not carry it. */
  'ACCESS_TOKEN_REQUIRED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What a job or file keeps of a failure: shown in full by the UI and the API. */
export interface JobError {
  code: ErrorCode;
  message: string;
  /** The cause chain, outermost first, already redacted. */
  causes?: string[];
  /** HTTP status when the failure came from a response. */
  httpStatus?: number;
  /** Epoch ms of the failure. */
  at?: number;
}

export interface ModeldockErrorOptions {
  cause?: unknown;
  /** Whether retrying the same request later may succeed. */
  retryable?: boolean;
  httpStatus?: number;
  /** Milliseconds the server asked us to wait (Retry-After). */
  retryAfterMs?: number;
  details?: Record<string, unknown>;
}

export class ModeldockError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ModeldockErrorOptions = {}) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModeldockError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

export function isModeldockError(value: unknown): value is ModeldockError {
  return value instanceof ModeldockError;
}

/** Node's system error codes that mean the same thing to a person downloading a file. */
const SYSTEM_CODE_MAP: Record<string, { code: ErrorCode; retryable: boolean; message: string }> = {
  ENOSPC: { code: 'DISK_FULL', retryable: false, message: 'Not enough disk space' },
  EDQUOT: { code: 'DISK_FULL', retryable: false, message: 'Disk quota exceeded' },
  ECONNREFUSED: { code: 'CONNECTION_REFUSED', retryable: true, message: 'Connection refused' },
  ENOTFOUND: { code: 'DNS_FAILED', retryable: true, message: 'Host name could not be resolved' },
  EAI_AGAIN: { code: 'DNS_FAILED', retryable: true, message: 'Host name lookup failed temporarily' },
  ECONNRESET: { code: 'NETWORK_ERROR', retryable: true, message: 'Connection reset by peer' },
  EPIPE: { code: 'NETWORK_ERROR', retryable: true, message: 'Connection closed by peer' },
  ETIMEDOUT: { code: 'NETWORK_ERROR', retryable: true, message: 'Connection timed out' },
  EHOSTUNREACH: { code: 'NETWORK_ERROR', retryable: true, message: 'Host unreachable' },
  ENETUNREACH: { code: 'NETWORK_ERROR', retryable: true, message: 'Network unreachable' },
  UND_ERR_SOCKET: { code: 'NETWORK_ERROR', retryable: true, message: 'Connection lost' },
  UND_ERR_CONNECT_TIMEOUT: { code: 'NETWORK_ERROR', retryable: true, message: 'Connection timed out' },
  UND_ERR_HEADERS_TIMEOUT: { code: 'IDLE_TIMEOUT', retryable: true, message: 'No response headers in time' },
  UND_ERR_BODY_TIMEOUT: { code: 'IDLE_TIMEOUT', retryable: true, message: 'No data received in time' },
  EACCES: { code: 'IO_ERROR', retryable: false, message: 'Permission denied' },
  EROFS: { code: 'IO_ERROR', retryable: false, message: 'Read-only file system' },
};

function systemCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code in SYSTEM_CODE_MAP) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns anything thrown into a ModeldockError, keeping the original as its cause. */
export function toModeldockError(error: unknown, fallback: ErrorCode = 'INTERNAL'): ModeldockError {
  if (error instanceof ModeldockError) return error;
  const systemCode = systemCodeOf(error);
  if (systemCode) {
    const mapped = SYSTEM_CODE_MAP[systemCode]!;
    return new ModeldockError(mapped.code, mapped.message, { cause: error, retryable: mapped.retryable });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ModeldockError(fallback, message || 'Unexpected error', { cause: error });
}

/** The cause chain as redacted one-line strings, outermost first. */
export function causeChain(error: unknown, limit = 8): string[] {
  const lines: string[] = [];
  let current: unknown = (error as { cause?: unknown } | undefined)?.cause;
  while (current !== undefined && current !== null && lines.length < limit) {
    const code = (current as { code?: unknown }).code;
    const message = current instanceof Error ? current.message : String(current);
    lines.push(redactSecrets(typeof code === 'string' ? `${code}: ${message}` : message));
    current = (current as { cause?: unknown }).cause;
  }
  return lines;
}

/** The value a job keeps: code, message and redacted causes. */
export function toJobError(error: unknown, at?: number): JobError {
  const value = toModeldockError(error);
  const result: JobError = { code: value.code, message: value.message };
  const causes = causeChain(value);
  if (causes.length > 0) result.causes = causes;
  if (value.httpStatus !== undefined) result.httpStatus = value.httpStatus;
  if (at !== undefined) result.at = at;
  return result;
}

/** An error's message, secrets redacted, for a log line or a stored reason. */
export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}
