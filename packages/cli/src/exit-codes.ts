/**
 * What the command's exit status means, for scripts: 0 done, 1 a job (or the server) failed,
 * 2 bad usage, 3 the server could not be reached, 4 the server refused the access token.
 */
import { isModeldockClientError } from '@modeldock/client';
import type { ErrorCode } from '@modeldock/client';

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  auth: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the command reports as `message [CODE]` and exits with. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError('INVALID_USAGE', message, EXIT.usage);
}

/** Codes the server uses when a call's input is wrong: the caller can fix the command line. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_INPUT',
  'INVALID_URL',
  'UNSUPPORTED_SCHEME',
  'PRIVATE_ADDRESS',
  'PATH_OUTSIDE_ROOT',
  'UNRECOGNISED_INPUT',
  'AMBIGUOUS_INPUT',
  'FOLDER_REQUIRED',
]);

/** Turns whatever a command threw into the message, code and exit status it ends with. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (isModeldockClientError(error)) {
    const code = error.modeldockCode;
    if (error.kind === 'unreachable') return new CliError(code, error.message, EXIT.unreachable);
    if (code === 'ACCESS_TOKEN_REQUIRED') {
      const hint = process.env.MODELDOCK_ACCESS_TOKEN
        ? 'MODELDOCK_ACCESS_TOKEN is set but the server did not accept it.'
        : 'Set MODELDOCK_ACCESS_TOKEN in the environment (never as an argument).';
      return new CliError(code, `The server refused the access token. ${hint}`, EXIT.auth);
    }
    if (error.kind === 'api' && USAGE_CODES.has(code)) {
      return new CliError(code, error.message, EXIT.usage);
    }
    return new CliError(code, error.message, EXIT.failed);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError('INTERNAL', message, EXIT.failed);
}
