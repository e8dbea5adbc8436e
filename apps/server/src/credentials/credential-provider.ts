/**
 * The CredentialProvider the engine calls at request time: the key saved in Settings when there is
 * a readable one, else the token from the environment. Setting or removing a key in Settings
 * changes the answer for the very next request.
 */
import type { CredentialProvider } from '@modeldock/engine';
import type { StoredApiKeys } from './stored-api-keys';

export function savedKeyThenEnvironment(
  saved: StoredApiKeys,
  environment: CredentialProvider,
): CredentialProvider {
  return async (kind) => (await saved.current(kind)) ?? (await environment(kind));
}
