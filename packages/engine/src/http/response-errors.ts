/**
 * Turns an HTTP status that is not the file into a ModeldockError a person can act on, with the
 * server's own explanation when it sent one (Civitai and Hugging Face send short JSON errors).
 */
import type { CredentialKind } from '../job-model';
import { ModeldockError } from '../errors';
import { redactSecrets } from '../secrets/redact';
import type { HttpResponse } from '../ports';
import { isRetryableStatus, parseRetryAfter } from './retry-policy';
import { describeUrl } from './http-url';

const ERROR_BODY_LIMIT = 4096;
const DETAIL_MAX_CHARS = 300;

const PLATFORM_NAMES: Record<Exclude<CredentialKind, null>, string> = {
  huggingface: 'Hugging Face',
  civitai: 'Civitai',
};

export interface StatusErrorContext {
  url: string;
  nowMs: number;
  /** Which platform's key the request would carry, and whether one was actually sent. */
  credential: CredentialKind;
  credentialSent: boolean;
  /** The server's explanation read from the body, if any. */
  detail?: string | null;
}

function clean(text: string): string {
  const oneLine = text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const short =
    oneLine.length > DETAIL_MAX_CHARS ? `${oneLine.slice(0, DETAIL_MAX_CHARS)}…` : oneLine;
  return redactSecrets(short);
}

/** Reads a little of an error body for its message (JSON `error`/`message`, or plain text), then frees the connection. */
export async function readErrorDetail(response: HttpResponse): Promise<string | null> {
  const type = response.headers['content-type'] ?? '';
  if (/html/i.test(type)) {
    await response.dump();
    return null;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= ERROR_BODY_LIMIT) break;
    }
  } catch {
    return null;
  }
  const text = Buffer.concat(chunks).subarray(0, ERROR_BODY_LIMIT).toString('utf8').trim();
  if (!text) return null;
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const parts = [parsed.message, parsed.error, parsed.detail].filter(
        (part): part is string => typeof part === 'string' && part.trim() !== '',
      );
      return parts.length > 0 ? clean([...new Set(parts)].join(': ')) : null;
    } catch {
      return null;
    }
  }
  if (text.startsWith('<')) return null;
  return clean(text);
}

function withDetail(message: string, detail: string | null | undefined): string {
  return detail ? `${message} The server said: "${detail}"` : message;
}

function credentialAdvice(context: StatusErrorContext): string {
  if (!context.credential)
    return 'If the file needs an account, download it from a source modeldock has a key for.';
  const platform = PLATFORM_NAMES[context.credential];
  return context.credentialSent
    ? `The ${platform} API key was sent and refused: check that it is valid and has access to this file.`
    : `Add a ${platform} API key in Settings, then retry.`;
}

export function errorForStatus(
  status: number,
  headers: Record<string, string>,
  context: StatusErrorContext,
): ModeldockError {
  const where = describeUrl(context.url);
  const retryAfter = parseRetryAfter(headers['retry-after'], context.nowMs);
  const options = {
    httpStatus: status,
    retryable: isRetryableStatus(status),
    ...(retryAfter === null ? {} : { retryAfterMs: retryAfter }),
  };
  const detail = context.detail;
  switch (true) {
    case status === 401:
      return new ModeldockError(
        'AUTH_REQUIRED',
        withDetail(`${where} requires authentication (401). ${credentialAdvice(context)}`, detail),
        options,
      );
    case status === 403:
      return new ModeldockError(
        'FORBIDDEN',
        withDetail(`Access to ${where} was refused (403). ${credentialAdvice(context)}`, detail),
        options,
      );
    case status === 404:
      return new ModeldockError(
        'REMOTE_NOT_FOUND',
        withDetail(
          `Nothing was found at ${where} (404): check the link; the file may have been moved or deleted.`,
          detail,
        ),
        options,
      );
    case status === 410:
      return new ModeldockError(
        'REMOTE_NOT_FOUND',
        withDetail(
          `The file at ${where} is gone (410): it was removed or archived by its owner.`,
          detail,
        ),
        options,
      );
    case status === 429:
      return new ModeldockError(
        'RATE_LIMITED',
        withDetail(
          `${where} is rate limiting downloads (429); modeldock will wait and try again.`,
          detail,
        ),
        options,
      );
    case status >= 500:
      return new ModeldockError(
        'SERVER_ERROR',
        withDetail(
          `The server at ${where} failed (${status})${options.retryable ? '; modeldock will try again' : ''}.`,
          detail,
        ),
        options,
      );
    default:
      return new ModeldockError(
        'HTTP_ERROR',
        withDetail(`Unexpected answer ${status} from ${where}.`, detail),
        options,
      );
  }
}

/** A signed storage URL refused twice, even freshly issued: the link the source hands out no longer works. */
export function signedUrlExpiredError(
  status: number,
  originalUrl: string,
  targetUrl: string,
): ModeldockError {
  return new ModeldockError(
    'SIGNED_URL_EXPIRED',
    `The download link ${describeUrl(originalUrl)} redirects to storage at ${describeUrl(targetUrl)}, which refused it (${status}) ` +
      'even after asking for a fresh link. The signed link has probably expired or is not valid for this network; retry later.',
    { httpStatus: status },
  );
}
