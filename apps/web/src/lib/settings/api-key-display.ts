/** How a stored API key reads on the settings page: which platform, whether it works, since when. */
import type { ApiKeyPlatform, ApiKeyView, EnvironmentKeyView } from '../api/types';

export const PLATFORMS: readonly ApiKeyPlatform[] = ['huggingface', 'civitai'];

export const PLATFORM_LABELS: Record<ApiKeyPlatform, string> = {
  huggingface: 'Hugging Face',
  civitai: 'Civitai',
};

/** What the key is called on the platform itself, so people recognise the page they need. */
export const KEY_NAMES: Record<ApiKeyPlatform, string> = {
  huggingface: 'access token',
  civitai: 'API key',
};

/** Where a person creates a key. */
export const KEY_PAGES: Record<ApiKeyPlatform, string> = {
  huggingface: 'https://huggingface.co/settings/tokens',
  civitai: 'https://civitai.com/user/account',
};

/** The only part of a key the page ever shows. */
export function maskedKey(view: Pick<ApiKeyView, 'last4'>): string {
  return `•••• ${view.last4}`;
}

export type KeyHealth = 'works' | 'refused' | 'unchecked';

export function keyHealth(view: Pick<ApiKeyView, 'valid'>): KeyHealth {
  return view.valid === true ? 'works' : view.valid === false ? 'refused' : 'unchecked';
}

/** Keeps the list in platform order, with `changed` replacing (or adding) its platform's entry. */
export function withKey(list: readonly ApiKeyView[], changed: ApiKeyView): ApiKeyView[] {
  return [...list.filter((view) => view.platform !== changed.platform), changed].sort(
    (a, b) => PLATFORMS.indexOf(a.platform) - PLATFORMS.indexOf(b.platform),
  );
}

export function withoutKey(list: readonly ApiKeyView[], platform: ApiKeyPlatform): ApiKeyView[] {
  return list.filter((view) => view.platform !== platform);
}

/** The platforms downloads will send a key to: a saved one, or the environment's. */
export function platformsWithKey(listing: {
  keys: readonly Pick<ApiKeyView, 'platform'>[];
  environment: readonly Pick<EnvironmentKeyView, 'platform' | 'inUse'>[];
}): Set<string> {
  return new Set([
    ...listing.keys.map((view) => view.platform),
    ...listing.environment.filter((view) => view.inUse).map((view) => view.platform),
  ]);
}
