/**
 * Checks an API key with the platform before Settings stores it: Hugging Face's /api/whoami-v2 and
 * Civitai's /api/v1/me answer with the account name for a good key and 401 for a bad one. The key
 * goes to the endpoint's origin only, and never into the result or a log line.
 */
import type { Clock, HttpClient, Logger } from '../ports';
import { ModeldockError } from '../errors';
import { registerSecret } from '../secrets/redact';
import { findCharacterNotAllowedInKey } from '../http/header-safety';
import { sendHubRequest } from './hub-http';
import type { HubHttp } from './hub-http';
import { DEFAULT_CIVITAI_ENDPOINT } from './civitai/civitai-resolver';
import { fetchCivitaiAccount } from './civitai/civitai-api';
import { DEFAULT_HF_ENDPOINT, normaliseEndpoint, whoAmIUrl } from './huggingface/hf-urls';

export interface ApiKeyCheckContext {
  http: HttpClient;
  logger: Logger;
  clock: Clock;
  signal?: AbortSignal;
}

export interface ApiKeyCheckOptions {
  endpoint?: string;
  timeoutMs?: number;
}

export interface ApiKeyCheck {
  valid: boolean;
  /** The account the key belongs to, when valid. */
  account: string | null;
  message: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;

function refuseEmpty(key: string): string {
  const trimmed = key.trim();
  if (trimmed === '' || trimmed.length > 4096 || /\s/.test(trimmed)) {
    throw new ModeldockError(
      'INVALID_INPUT',
      'An API key is one word of letters and digits: paste it without spaces',
    );
  }
  const refused = findCharacterNotAllowedInKey(trimmed);
  if (refused) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `An API key holds only visible ASCII characters; this one has ${refused.description}: paste it again without it`,
    );
  }
  registerSecret(trimmed);
  return trimmed;
}

export async function checkHuggingFaceToken(
  token: string,
  context: ApiKeyCheckContext,
  options: ApiKeyCheckOptions = {},
): Promise<ApiKeyCheck> {
  const key = refuseEmpty(token);
  const endpoint = normaliseEndpoint(options.endpoint, DEFAULT_HF_ENDPOINT);
  const hub: HubHttp = { http: context.http, logger: context.logger };
  const exchange = await sendHubRequest(hub, {
    url: whoAmIUrl(endpoint),
    token: key,
    hubOrigin: new URL(endpoint).origin,
    hubName: 'Hugging Face',
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: context.signal,
    headers: { accept: 'application/json' },
  });
  if (exchange.status === 401 || exchange.status === 403) {
    await exchange.discard();
    return {
      valid: false,
      account: null,
      message:
        'Hugging Face rejected this token: create a read token at https://huggingface.co/settings/tokens',
    };
  }
  if (exchange.status !== 200) {
    await exchange.discard();
    throw new ModeldockError(
      'HTTP_ERROR',
      `Hugging Face could not check the token (HTTP ${exchange.status}); try again later`,
      {
        httpStatus: exchange.status,
        retryable: exchange.status === 429 || exchange.status >= 500,
      },
    );
  }
  const body = await exchange.json<{ name?: unknown }>();
  const account = typeof body.name === 'string' ? body.name : null;
  return {
    valid: true,
    account,
    message: account ? `Token works for Hugging Face account ${account}` : 'Token works',
  };
}

export async function checkCivitaiKey(
  apiKey: string,
  context: ApiKeyCheckContext,
  options: ApiKeyCheckOptions = {},
): Promise<ApiKeyCheck> {
  const key = refuseEmpty(apiKey);
  const endpoint = normaliseEndpoint(options.endpoint, DEFAULT_CIVITAI_ENDPOINT);
  const hub: HubHttp = { http: context.http, logger: context.logger };
  const request = {
    endpoint,
    endpointOrigin: new URL(endpoint).origin,
    token: key,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: context.signal,
    nowMs: context.clock.now(),
  };
  const account = await fetchCivitaiAccount(hub, request);
  if (account === null) {
    return {
      valid: false,
      account: null,
      message: `Civitai rejected this API key: create one at ${endpoint}/user/account`,
    };
  }
  return { valid: true, account, message: `API key works for Civitai account ${account}` };
}
