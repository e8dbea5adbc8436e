/**
 * One error type for every failure a caller sees: a refused call, a job that failed, a server that
 * cannot be reached. `modeldockCode` is the stable code to branch on; `message` is for people.
 * It is a TRPCClientError too, so code written for plain tRPC clients keeps working.
 */
import { TRPCClientError } from '@trpc/client';
import type { AppRouter, ErrorCode, Job } from './api-types';

export type ModeldockFailureKind =
  /** The server answered and refused the call. */
  | 'api'
  /** The job ended failed or cancelled (`job` holds it). */
  | 'job'
  /** Nothing answered at the URL (`modeldockCode` CONNECTION_REFUSED or NETWORK_ERROR). */
  | 'unreachable'
  /** The caller's signal stopped the wait. */
  | 'aborted';

export interface ModeldockClientErrorOptions {
  kind: ModeldockFailureKind;
  httpStatus?: number | null;
  job?: Job | null;
  cause?: Error;
  /** The server's error body, kept as `shape` and `data` like any TRPCClientError. */
  shape?: TRPCClientError<AppRouter>['shape'];
}

export class ModeldockClientError extends TRPCClientError<AppRouter> {
  readonly modeldockCode: ErrorCode;
  readonly kind: ModeldockFailureKind;
  /** The HTTP status of a refused call, when there was one. */
  readonly httpStatus: number | null;
  /** The job, for a job that failed or was cancelled. */
  readonly job: Job | null;

  constructor(code: ErrorCode, message: string, options: ModeldockClientErrorOptions) {
    super(message, {
      cause: options.cause,
      result: options.shape ? { error: options.shape } : undefined,
    });
    // TRPCClientError pins its own prototype; put this class's back.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'ModeldockClientError';
    this.modeldockCode = code;
    this.kind = options.kind;
    this.httpStatus = options.httpStatus ?? null;
    this.job = options.job ?? null;
  }
}

export function isModeldockClientError(value: unknown): value is ModeldockClientError {
  return value instanceof ModeldockClientError;
}

interface ErrorData {
  modeldockCode?: unknown;
  code?: unknown;
  httpStatus?: unknown;
}

/** What tRPC's own codes mean when the server did not name a modeldock code. */
const CODE_FOR_TRPC: Record<string, ErrorCode> = {
  BAD_REQUEST: 'INVALID_INPUT',
  PARSE_ERROR: 'INVALID_INPUT',
  UNAUTHORIZED: 'ACCESS_TOKEN_REQUIRED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'JOB_NOT_FOUND',
  CONFLICT: 'INVALID_STATE',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
};

function isConnectionRefused(error: unknown): boolean {
  for (let current = error; current; current = (current as { cause?: unknown }).cause) {
    if ((current as { code?: unknown }).code === 'ECONNREFUSED') return true;
  }
  return false;
}

function describeUnreachable(error: TRPCClientError<never>, url: string | null): string {
  const where = url ? ` at ${url}` : '';
  return `Cannot reach the modeldock server${where} (${error.message}). Check that it is running and the URL is right.`;
}

/**
 * Turns whatever a call threw into a ModeldockClientError. A call that never got an answer is
 * `unreachable`; one the server refused keeps its code and message.
 */
export function toModeldockClientError(
  error: unknown,
  url: string | null = null,
): ModeldockClientError {
  if (error instanceof ModeldockClientError) return error;
  if (error instanceof TRPCClientError) {
    const clientError = error as TRPCClientError<never>;
    const data = (clientError.data ?? null) as ErrorData | null;
    if (!data) {
      const code: ErrorCode = isConnectionRefused(clientError)
        ? 'CONNECTION_REFUSED'
        : 'NETWORK_ERROR';
      return new ModeldockClientError(code, describeUnreachable(clientError, url), {
        kind: 'unreachable',
        cause: error,
      });
    }
    const named = typeof data.modeldockCode === 'string' ? (data.modeldockCode as ErrorCode) : null;
    const fallback = typeof data.code === 'string' ? CODE_FOR_TRPC[data.code] : undefined;
    return new ModeldockClientError(named ?? fallback ?? 'INTERNAL', clientError.message, {
      kind: 'api',
      httpStatus: typeof data.httpStatus === 'number' ? data.httpStatus : null,
      cause: error,
      shape: clientError.shape,
    });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new ModeldockClientError('CANCELLED', 'Stopped waiting: the signal was aborted.', {
      kind: 'aborted',
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ModeldockClientError('INTERNAL', message, {
    kind: 'api',
    cause: error instanceof Error ? error : undefined,
  });
}

/** The error a finished job carries, as a ModeldockClientError (failed or cancelled jobs). */
export function jobFailure(job: Job): ModeldockClientError {
  if (job.status === 'cancelled') {
    return new ModeldockClientError('CANCELLED', `Job ${job.id} was cancelled.`, {
      kind: 'job',
      job,
    });
  }
  const code = job.error?.code ?? 'INTERNAL';
  const message = job.error?.message ?? `Job ${job.id} failed.`;
  return new ModeldockClientError(code, message, { kind: 'job', job });
}
