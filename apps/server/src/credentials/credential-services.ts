/**
 * Puts the credential pieces together for the server: the secret box over the secret key, the
 * saved keys (all decrypted once at start so redaction knows them before any request), the
 * provider the engine asks, and the Settings service with its checks through the configured
 * endpoints.
 */
import type { Clock, CredentialProvider, HttpClient, Logger, TaskRunner } from '@modeldock/engine';
import type { ApiKeyStore } from '@modeldock/db';
import type { ServerConfig } from '../env';
import { createSecretBox } from '../secrets/secret-box';
import type { SecretKey } from '../secrets/secret-key-source';
import { createApiKeySettings } from './api-key-settings';
import type { ApiKeySettings, ApiKeySettingsOptions } from './api-key-settings';
import { savedKeyThenEnvironment } from './credential-provider';
import { environmentCredentials } from './environment-credentials';
import { createPlatformKeyCheck } from './platform-key-check';
import { createStoredApiKeys } from './stored-api-keys';

export interface CredentialServicesOptions {
  secretKey: SecretKey;
  store: ApiKeyStore;
  config: Pick<ServerConfig, 'credentials' | 'huggingFaceEndpoint' | 'civitaiEndpoint'>;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  tasks: TaskRunner;
  /** A saved key its platform refused after it worked (the key.invalid notification). */
  onKeyRefused?: ApiKeySettingsOptions['onKeyRefused'];
}

export interface CredentialServices {
  provider: CredentialProvider;
  settings: ApiKeySettings;
  close(): Promise<void>;
}

export async function startCredentialServices(
  options: CredentialServicesOptions,
): Promise<CredentialServices> {
  const { config, logger } = options;
  const saved = createStoredApiKeys({
    store: options.store,
    box: createSecretBox(options.secretKey.bytes),
    secretKeyOrigin: options.secretKey.origin,
    logger,
  });
  await saved.loadAll();
  const settings = createApiKeySettings({
    keys: saved,
    check: createPlatformKeyCheck({
      http: options.http,
      clock: options.clock,
      logger,
      endpoints: { huggingface: config.huggingFaceEndpoint, civitai: config.civitaiEndpoint },
    }),
    logger,
    tasks: options.tasks,
    environment: config.credentials,
    onKeyRefused: options.onKeyRefused,
  });
  await settings.start();
  return {
    provider: savedKeyThenEnvironment(saved, environmentCredentials(config.credentials)),
    settings,
    close: () => settings.close(),
  };
}
