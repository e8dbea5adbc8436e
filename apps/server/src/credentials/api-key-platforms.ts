/** The platforms that take an API key, and how a person calls them. */
import type { ApiKeyPlatform } from '@modeldock/db';

export type { ApiKeyPlatform };

export const API_KEY_PLATFORMS = [
  'huggingface',
  'civitai',
] as const satisfies readonly ApiKeyPlatform[];

export const PLATFORM_NAMES: Record<ApiKeyPlatform, string> = {
  huggingface: 'Hugging Face',
  civitai: 'Civitai',
};
