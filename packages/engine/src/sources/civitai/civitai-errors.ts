/**
 * Civitai's refusals, each with its own code and what to do. The download endpoint answers non-browser
 * clients with JSON: 401 "requires you to be logged in" (or "has disabled downloads"), 403 "Early
 * Access" with a deadline, 403 "Forbidden", 404, 410 archived, 429 (no Retry-After).
 */
import { ModeldockError } from '../../errors';
import { cleanServerText, readHubErrorBody, retryAfterMs } from '../hub-http';
import type { HubExchange } from '../hub-http';

export interface CivitaiErrorSubject {
  endpoint: string;
  modelId: number | null;
  versionId: number | null;
  nowMs: number;
}

export function civitaiPageUrl(subject: Pick<CivitaiErrorSubject, 'endpoint' | 'modelId' | 'versionId'>): string {
  if (subject.modelId !== null) {
    return `${subject.endpoint}/models/${subject.modelId}${subject.versionId !== null ? `?modelVersionId=${subject.versionId}` : ''}`;
  }
  return `${subject.endpoint}/model-versions/${subject.versionId ?? ''}`;
}

function what(subject: CivitaiErrorSubject): string {
  if (subject.versionId !== null) return `model version ${subject.versionId}`;
  return `model ${subject.modelId ?? ''}`.trim();
}

export function authRequiredError(subject: CivitaiErrorSubject, httpStatus: number): ModeldockError {
  return new ModeldockError(
    'AUTH_REQUIRED',
    `Civitai requires an API key for this model (${what(subject)}): add one in Settings (create it at ${subject.endpoint}/user/account)`,
    { httpStatus },
  );
}

export function earlyAccessError(subject: CivitaiErrorSubject, deadline: string | null, httpStatus: number): ModeldockError {
  const until = deadline && !Number.isNaN(Date.parse(deadline)) ? new Date(Date.parse(deadline)).toISOString() : null;
  return new ModeldockError(
    'EARLY_ACCESS',
    `This Civitai ${what(subject)} is in Early Access${until ? ` until ${until.slice(0, 16).replace('T', ' ')} UTC` : ''}: it can be downloaded by everyone after that, or now with early access bought at ${civitaiPageUrl(subject)}`,
    { httpStatus, details: { earlyAccessEndsAt: until } },
  );
}

export function rateLimitedError(exchange: HubExchange, subject: CivitaiErrorSubject): ModeldockError {
  const wait = retryAfterMs(exchange.headers, subject.nowMs) ?? undefined;
  return new ModeldockError('RATE_LIMITED', 'Civitai is limiting requests right now; modeldock waits and tries again (1–30 s)', {
    httpStatus: 429,
    retryable: true,
    retryAfterMs: wait,
  });
}

/** Errors of the JSON API (model and version descriptions). */
export async function civitaiApiError(exchange: HubExchange, subject: CivitaiErrorSubject): Promise<ModeldockError> {
  const status = exchange.status;
  if (status === 429) {
    await exchange.discard();
    return rateLimitedError(exchange, subject);
  }
  const body = await readHubErrorBody(exchange);
  const detail = cleanServerText(body.message ?? body.error);
  if (status === 404) {
    return new ModeldockError(
      'REMOTE_NOT_FOUND',
      `Civitai has no ${what(subject)} (it may have been deleted or not be published): check the link`,
      { httpStatus: status },
    );
  }
  if (status === 401) return authRequiredError(subject, status);
  if (status === 403) {
    return new ModeldockError('NO_ACCESS', `Civitai refused access to ${what(subject)}${detail ? `: ${detail}` : ''}`, { httpStatus: status });
  }
  if (status >= 500) {
    return new ModeldockError('SERVER_ERROR', `Civitai had a server error (HTTP ${status}); try again later`, {
      httpStatus: status,
      retryable: true,
    });
  }
  return new ModeldockError('HTTP_ERROR', `Civitai answered HTTP ${status} for ${what(subject)}${detail ? `: ${detail}` : ''}`, {
    httpStatus: status,
  });
}

export interface DownloadRefusalContext {
  /** Whether a key went with the request; with one, a 401 needs a key check to say why. */
  keySent: boolean;
  /** Resolves whether the key is accepted by Civitai at all (only asked after a 401 with a key). */
  isKeyValid: () => Promise<boolean>;
}

/** Errors of `/api/download/models/{versionId}`. */
export async function civitaiDownloadError(
  exchange: HubExchange,
  subject: CivitaiErrorSubject,
  context: DownloadRefusalContext,
): Promise<ModeldockError> {
  const status = exchange.status;
  if (status === 429) {
    await exchange.discard();
    return rateLimitedError(exchange, subject);
  }
  const body = await readHubErrorBody(exchange);
  const detail = cleanServerText(body.message ?? body.error);
  const bodyJson = (() => {
    try {
      return JSON.parse(body.raw) as Record<string, unknown>;
    } catch {
      return {};
    }
  })();
  switch (true) {
    case status === 401 && /disabled downloads/i.test(detail ?? ''):
      return new ModeldockError('NO_ACCESS', `The creator of this Civitai ${what(subject)} has disabled downloads of it`, { httpStatus: status });
    case status === 401 && context.keySent:
      if (!(await context.isKeyValid())) {
        return new ModeldockError('INVALID_TOKEN', 'Civitai rejected the API key: add a valid Civitai API key in Settings (it may have expired or been deleted)', {
          httpStatus: status,
        });
      }
      return new ModeldockError(
        'NO_ACCESS',
        `Your Civitai account may not download this ${what(subject)} (it may be restricted to some users or need to be bought): check ${civitaiPageUrl(subject)}`,
        { httpStatus: status },
      );
    case status === 401:
      return authRequiredError(subject, status);
    case status === 403 && /early access/i.test(`${body.error ?? ''} ${body.message ?? ''}`):
      return earlyAccessError(subject, typeof bodyJson.deadline === 'string' ? bodyJson.deadline : null, status);
    case status === 403:
      return new ModeldockError(
        'NO_ACCESS',
        `Civitai refused the download of ${what(subject)}${detail ? ` (${detail})` : ''}: your account or network may be blocked; contact Civitai support if it persists`,
        { httpStatus: status },
      );
    case status === 404:
      return new ModeldockError(
        'REMOTE_NOT_FOUND',
        `Civitai has no downloadable file for ${what(subject)} with these options${detail ? ` (${detail})` : ''}: check the link and the file choice`,
        { httpStatus: status },
      );
    case status === 410:
      return new ModeldockError('ARCHIVED', `This Civitai ${what(subject)} is archived and can no longer be downloaded`, { httpStatus: status });
    case status >= 500:
      return new ModeldockError('SERVER_ERROR', `Civitai had a server error (HTTP ${status}) for ${what(subject)}; try again later`, {
        httpStatus: status,
        retryable: true,
      });
    default:
      return new ModeldockError('HTTP_ERROR', `Civitai answered HTTP ${status} for the download of ${what(subject)}${detail ? `: ${detail}` : ''}`, {
        httpStatus: status,
      });
  }
}
