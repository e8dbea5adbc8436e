export { openDatabase } from './open-database';
export type { ModeldockDatabase, OpenDatabaseOptions } from './open-database';
export type { Broadcast } from './broadcast';
export type { DatabaseDriver } from './database';
export type {
  ApiKeyPlatform,
  ApiKeyStore,
  ApiKeySummary,
  ApiKeyValidation,
  EncryptedApiKey,
  StoredApiKey,
} from './api-key-store';
export type { SettingsStore } from './settings-store';
export { describeDatabaseUrl } from './postgres-database';
export { DEFAULT_MIGRATIONS_FOLDER } from './migrations-folder';
export { runInitdbIfAsked, PGLITE_INITDB_ENV } from './pglite-first-start';
export { pgliteStartParams } from './pglite-database';
