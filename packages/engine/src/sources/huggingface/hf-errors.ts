/**
 * Turns a Hub refusal into an error a person can act on. The Hub names the failure in
 * `X-Error-Code` (GatedRepo, RepoNotFound, RevisionNotFound, EntryNotFound) with `X-Error-Message`;
 * a 401 "Invalid credentials in Authorization header" is a bad token, and any other 401 on a
 * repository means private, gated or missing, which look alike to an anonymous caller.
 */
import { ModeldockError } from '../../errors';
import { cleanServerText, readHubErrorBody, retryAfterMs } from '../hub-http';
import type { HubExchange } from '../hub-http';
import type { HfRepoType } from './hf-input';
import { repoPageUrl } from './hf-urls';

export interface HfErrorSubject {
  endpoint: string;
  repoType: HfRepoType;
  repoId: string;
  revision: string;
  /** The file or folder asked for, when there was one. */
  path?: string | null;
  nowMs: number;
}

const KIND_NAMES: Record<HfRepoType, string> = { model: 'model', dataset: 'dataset', space: 'Space' };

/** Seconds to wait from the Hub's `RateLimit: "api";r=0;t=<secs>` header. */
function rateLimitResetMs(headers: Record<string, string>): number | null {
  const match = /(?:^|;)\s*t=(\d+)/.exec(headers['ratelimit'] ?? '');
  return match ? Number(match[1]) * 1000 : null;
}

export async function huggingFaceError(exchange: HubExchange, subject: HfErrorSubject): Promise<ModeldockError> {
  const status = exchange.status;
  const errorCode = exchange.headers['x-error-code'] ?? '';
  const body = await readHubErrorBody(exchange);
  const serverMessage = cleanServerText(exchange.headers['x-error-message'] ?? body.error ?? body.message);
  const repoUrl = repoPageUrl(subject.endpoint, subject.repoType, subject.repoId);
  const kind = KIND_NAMES[subject.repoType];
  const repo = `${kind} ${subject.repoId}`;
  const options = { httpStatus: status, details: { hubErrorCode: errorCode || null, hubMessage: serverMessage } };

  if (status === 401 && /invalid (credentials|username or password)|invalid token/i.test(serverMessage ?? '')) {
    return new ModeldockError(
      'INVALID_TOKEN',
      'Hugging Face rejected the token: add a valid Hugging Face token in Settings (a read token from https://huggingface.co/settings/tokens)',
      options,
    );
  }
  if (errorCode === 'GatedRepo') {
    if (status === 403) {
      return new ModeldockError(
        'GATED_NOT_APPROVED',
        `The ${repo} is gated and the account of your Hugging Face token has not been granted access yet: request access at ${repoUrl} (or wait for the authors to approve it), then retry`,
        options,
      );
    }
    return new ModeldockError(
      'GATED_REPO',
      `The ${repo} is gated: request access at ${repoUrl}, add your Hugging Face token in Settings, then retry`,
      options,
    );
  }
  if (errorCode === 'RevisionNotFound') {
    return new ModeldockError(
      'REVISION_NOT_FOUND',
      `Revision "${subject.revision}" does not exist in the ${repo}: use a branch, tag or commit listed at ${repoUrl}`,
      options,
    );
  }
  if (errorCode === 'EntryNotFound') {
    return new ModeldockError(
      'ENTRY_NOT_FOUND',
      `"${subject.path ?? ''}" is not in the ${repo} at revision "${subject.revision}": check the file name at ${repoUrl}`,
      options,
    );
  }
  if (errorCode === 'RepoNotFound' || (status === 401 && !errorCode) || (status === 404 && !errorCode)) {
    const hint = exchange.tokenSent
      ? 'check the name, and that the account of your Hugging Face token can read it'
      : 'check the name; if it is private, add a Hugging Face token in Settings';
    return new ModeldockError(
      'REPO_NOT_FOUND',
      `The ${repo} was not found on Hugging Face, or it is private: ${hint}`,
      options,
    );
  }
  if (errorCode === 'DisabledRepo' || (status === 403 && /disabled/i.test(serverMessage ?? ''))) {
    return new ModeldockError('NO_ACCESS', `The ${repo} has been disabled on Hugging Face and cannot be downloaded`, options);
  }
  if (status === 429) {
    const wait = retryAfterMs(exchange.headers, subject.nowMs) ?? rateLimitResetMs(exchange.headers) ?? undefined;
    return new ModeldockError(
      'RATE_LIMITED',
      `Hugging Face is rate limiting requests${wait ? ` for ${Math.ceil(wait / 1000)} s` : ''}; ${exchange.tokenSent ? 'try again later' : 'adding a Hugging Face token in Settings raises the limit'}`,
      { ...options, retryable: true, retryAfterMs: wait },
    );
  }
  if (status >= 500) {
    return new ModeldockError(
      'SERVER_ERROR',
      `Hugging Face had a server error (HTTP ${status}) for the ${repo}; try again later`,
      { ...options, retryable: true },
    );
  }
  if (status === 403) {
    return new ModeldockError(
      'FORBIDDEN',
      `Hugging Face refused access to the ${repo}${serverMessage ? `: ${serverMessage}` : ''}`,
      options,
    );
  }
  return new ModeldockError(
    'HTTP_ERROR',
    `Hugging Face answered HTTP ${status} for the ${repo}${serverMessage ? `: ${serverMessage}` : ''}`,
    options,
  );
}
