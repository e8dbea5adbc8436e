/**
 * API keys for the hubs. A key goes to the server once, in the body of `set`; nothing the server
 * returns holds it, and the page keeps none of it afterwards.
 */
import { api } from '../api/trpc-client';
import { attempt } from '../api/outcome';
import type { Outcome } from '../api/outcome';
import type { ApiKeyPlatform, ApiKeyView, EnvironmentKeyView, MetadataSettings } from '../api/types';

export interface KeyListing {
  /** Keys saved in Settings. */
  keys: ApiKeyView[];
  /** Tokens from the server's environment (used where no key is saved). */
  environment: EnvironmentKeyView[];
}

export async function listApiKeys(): Promise<Outcome<KeyListing>> {
  const outcome = await attempt(() => api.settings.apiKeys.list.query());
  return outcome.ok
    ? { ok: true, value: { keys: outcome.value.items, environment: outcome.value.environment } }
    : outcome;
}

/** Validates the key with the platform and stores it; a key the platform refuses is not stored. */
export function saveApiKey(platform: ApiKeyPlatform, key: string): Promise<Outcome<ApiKeyView>> {
  return attempt(() => api.settings.apiKeys.set.mutate({ platform, key }));
}

export function checkApiKey(platform: ApiKeyPlatform): Promise<Outcome<ApiKeyView>> {
  return attempt(() => api.settings.apiKeys.validate.mutate({ platform }));
}

export function removeApiKey(platform: ApiKeyPlatform): Promise<Outcome<{ removed: boolean }>> {
  return attempt(() => api.settings.apiKeys.remove.mutate({ platform }));
}

export function loadMetadataSettings(): Promise<Outcome<MetadataSettings>> {
  return attempt(() => api.settings.metadata.get.query());
}

export function saveMetadataSettings(patch: Partial<MetadataSettings>): Promise<Outcome<MetadataSettings>> {
  return attempt(() => api.settings.metadata.set.mutate(patch));
}
