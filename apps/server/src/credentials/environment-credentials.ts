/**
 * Credentials the operator gave through the environment (MODELDOCK_HF_TOKEN / HF_TOKEN,
 * MODELDOCK_CIVITAI_API_KEY / CIVITAI_API_KEY). The engine asks for them at request time; each is
 * registered with `registerSecret` first so it is masked wherever it might appear.
 */
import { registerSecret } from '@modeldock/engine';
import type { CredentialProvider } from '@modeldock/engine';
import type { ServerConfig } from '../env';

export function environmentCredentials(
  credentials: ServerConfig['credentials'],
): CredentialProvider {
  registerSecret(credentials.huggingface);
  registerSecret(credentials.civitai);
  return async (kind) => credentials[kind] ?? null;
}
