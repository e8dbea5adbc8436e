/**
 * Asks the platform itself whether a key works, through the configured endpoint (a mirror, or the
 * fakes in tests): Hugging Face's whoami, Civitai's /api/v1/me. Three outcomes: accepted, rejected,
 * or not checked because the platform could not be reached or is limiting requests. The key is
 * only ever sent to the endpoint's own origin and never appears in an outcome.
 */
import { checkCivitaiKey, checkHuggingFaceToken, toModeldockError } from '@modeldock/engine';
import type { Clock, HttpClient, Logger, ModeldockError } from '@modeldock/engine';
import { PLATFORM_NAMES } from './api-key-platforms';
import type { ApiKeyPlatform } from './api-key-platforms';

export type KeyCheckResult =
  | { outcome: 'accepted'; message: string }
  | { outcome: 'rejected'; message: string }
  | { outcome: 'unchecked'; message: string; error: ModeldockError };

export type PlatformKeyCheck = (
  platform: ApiKeyPlatform,
  key: string,
  signal?: AbortSignal,
) => Promise<KeyCheckResult>;

export interface PlatformKeyCheckOptions {
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  /** null = the public site. */
  endpoints: Record<ApiKeyPlatform, string | null>;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

function describeUnreachable(platform: ApiKeyPlatform, error: ModeldockError): string {
  const name = PLATFORM_NAMES[platform];
  if (error.code === 'RATE_LIMITED' || error.httpStatus === 429) {
    return `${name} is limiting requests right now (HTTP 429), so the key could not be checked`;
  }
  return `${name} could not be asked whether the key works: ${error.message}`;
}

export function createPlatformKeyCheck(options: PlatformKeyCheckOptions): PlatformKeyCheck {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const checks = {
    huggingface: checkHuggingFaceToken,
    civitai: checkCivitaiKey,
  } as const;

  return async (platform, key, signal) => {
    const context = { http: options.http, logger: options.logger, clock: options.clock, signal };
    const endpoint = options.endpoints[platform] ?? undefined;
    try {
      const result = await checks[platform](key, context, { endpoint, timeoutMs });
      return { outcome: result.valid ? 'accepted' : 'rejected', message: result.message };
    } catch (thrown) {
      const error = toModeldockError(thrown, 'NETWORK_ERROR');
      // A key that is not even one word is the caller's mistake, not the platform's silence.
      if (error.code === 'INVALID_INPUT' || signal?.aborted) throw error;
      return { outcome: 'unchecked', message: describeUnreachable(platform, error), error };
    }
  };
}
