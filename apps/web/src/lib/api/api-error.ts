/**
 * Turns whatever a call threw into what the page shows: the server's message in full, and the
 * stable modeldock code when the server sent one.
 */
import { TRPCClientError } from '@trpc/client';

export interface ApiErrorView {
  message: string;
  /** modeldock's stable code (INVALID_URL, JOB_NOT_FOUND, …), or null when there is none. */
  code: string | null;
}

interface ValidationIssue {
  path?: unknown;
  message?: unknown;
}

/**
 * Input validation failures arrive as a JSON list of issues; each becomes one readable line,
 * "sha256: sha256 must be 64 hexadecimal characters".
 */
function readableValidationMessage(message: string): string | null {
  if (!message.trimStart().startsWith('[')) return null;
  try {
    const issues = JSON.parse(message) as unknown;
    if (!Array.isArray(issues) || issues.length === 0) return null;
    const lines = (issues as ValidationIssue[]).map((issue) => {
      const text = typeof issue.message === 'string' ? issue.message : 'is not valid';
      const path = Array.isArray(issue.path) ? issue.path.map(String).join('.') : '';
      return path && !text.toLowerCase().startsWith(path.toLowerCase()) ? `${path}: ${text}` : text;
    });
    return lines.join('\n');
  } catch {
    return null;
  }
}

function modeldockCodeOf(error: TRPCClientError<never>): string | null {
  const data = error.data as { modeldockCode?: unknown; code?: unknown } | null | undefined;
  if (typeof data?.modeldockCode === 'string') return data.modeldockCode;
  return null;
}

export function describeApiError(error: unknown): ApiErrorView {
  if (error instanceof TRPCClientError) {
    const clientError = error as TRPCClientError<never>;
    const code = modeldockCodeOf(clientError);
    const validation = readableValidationMessage(clientError.message);
    if (validation) return { message: validation, code: code ?? 'INVALID_INPUT' };
    // fetch() itself failed: the request never reached the server.
    if (!clientError.data && /fetch|network|load failed/i.test(clientError.message)) {
      return {
        message: `Cannot reach the modeldock server (${clientError.message}). Check that it is running.`,
        code: null,
      };
    }
    return {
      message: clientError.message || 'The server returned an error without a message.',
      code,
    };
  }
  if (error instanceof Error) return { message: error.message, code: null };
  return { message: String(error), code: null };
}
