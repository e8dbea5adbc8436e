/**
 * The API keys kept in the database, encrypted with the secret box, and decrypted here only. Every
 * key read is registered with `registerSecret`, so redaction masks it wherever it might appear.
 * Decrypted keys are cached; a request reads the row again at most every `refreshMs`, which is how
 * a key set through another server sharing PostgreSQL reaches this one. A key this server's secret
 * key cannot open is reported as unreadable, with what to do, and never used.
 */
import { registerSecret } from '@modeldock/engine';
import type { Logger } from '@modeldock/engine';
import type { ApiKeyStore, ApiKeySummary, ApiKeyValidation, StoredApiKey } from '@modeldock/db';
import type { SecretBox } from '../secrets/secret-box';
import { API_KEY_PLATFORMS, PLATFORM_NAMES } from './api-key-platforms';
import type { ApiKeyPlatform } from './api-key-platforms';

export interface StoredKeyReading {
  summary: ApiKeySummary;
  /** The key in clear; null when this server's secret key cannot decrypt it. */
  key: string | null;
  /** Identifies this encryption of the key: it changes every time a key is saved. */
  version: string;
}

export interface StoredApiKeys {
  /** Decrypts every stored key once (registering it for redaction) and warns about unreadable ones. */
  loadAll(): Promise<void>;
  /** The key for a request, from the cache while it is fresh; null when none is stored or readable. */
  current(platform: ApiKeyPlatform): Promise<string | null>;
  /** Reads one key from the database now (and refreshes the cache). */
  read(platform: ApiKeyPlatform): Promise<StoredKeyReading | null>;
  /** Every stored key, read from the database now. */
  list(): Promise<StoredKeyReading[]>;
  /** Encrypts and stores a key (replacing the platform's previous one); its validation starts empty. */
  save(platform: ApiKeyPlatform, key: string, now: Date): Promise<StoredKeyReading>;
  markValidated(
    platform: ApiKeyPlatform,
    validation: ApiKeyValidation,
    now: Date,
  ): Promise<ApiKeySummary | null>;
  remove(platform: ApiKeyPlatform): Promise<boolean>;
  /** What to tell a person about a key that cannot be decrypted. */
  unreadableMessage(platform: ApiKeyPlatform): string;
}

export interface StoredApiKeysOptions {
  store: ApiKeyStore;
  box: SecretBox;
  /** Where the secret key came from (variable or file), named in messages. */
  secretKeyOrigin: string;
  logger: Logger;
  /** Longest a cached key is used before the row is read again (default 3 s). */
  refreshMs?: number;
  now?: () => number;
}

interface CachedKey {
  key: string | null;
  readAt: number;
}

const DEFAULT_REFRESH_MS = 3_000;

/** Associated data: a Hugging Face ciphertext copied into the Civitai row does not decrypt. */
function bindingFor(platform: ApiKeyPlatform): string {
  return `modeldock:api-key:${platform}`;
}

export function createStoredApiKeys(options: StoredApiKeysOptions): StoredApiKeys {
  const { store, box, logger } = options;
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
  const now = options.now ?? Date.now;
  const cache = new Map<ApiKeyPlatform, CachedKey>();
  const reportedUnreadable = new Set<string>();

  function unreadableMessage(platform: ApiKeyPlatform): string {
    return `The saved ${PLATFORM_NAMES[platform]} API key cannot be decrypted with this server's secret key (${options.secretKeyOrigin}): the secret key changed since the API key was saved. Restore the previous secret key, or enter the API key again in Settings.`;
  }

  function decrypt(row: StoredApiKey): StoredKeyReading {
    const version = row.iv.toString('hex');
    const key = box.open(row, bindingFor(row.platform));
    if (key === null) {
      if (!reportedUnreadable.has(version)) {
        reportedUnreadable.add(version);
        logger.warn({ platform: row.platform }, unreadableMessage(row.platform));
      }
    } else {
      registerSecret(key);
    }
    const { ciphertext: _ciphertext, iv: _iv, authTag: _authTag, ...summary } = row;
    return { summary, key, version };
  }

  async function read(platform: ApiKeyPlatform): Promise<StoredKeyReading | null> {
    const row = await store.get(platform);
    const reading = row ? decrypt(row) : null;
    cache.set(platform, { key: reading?.key ?? null, readAt: now() });
    return reading;
  }

  return {
    async loadAll() {
      await Promise.all(API_KEY_PLATFORMS.map((platform) => read(platform)));
    },

    async current(platform) {
      const cached = cache.get(platform);
      if (cached && now() - cached.readAt < refreshMs) return cached.key;
      try {
        return (await read(platform))?.key ?? null;
      } catch (error) {
        if (!cached) throw error;
        // A database hiccup should not fail a download that has a key in hand.
        logger.warn(
          { platform, err: error },
          'Could not read the saved API key again; using the one read before',
        );
        cached.readAt = now();
        return cached.key;
      }
    },

    read,

    async list() {
      const readings = await Promise.all(API_KEY_PLATFORMS.map((platform) => read(platform)));
      return readings.filter((reading): reading is StoredKeyReading => reading !== null);
    },

    async save(platform, key, at) {
      registerSecret(key);
      const sealed = box.seal(key, bindingFor(platform));
      const summary = await store.set({ platform, ...sealed, last4: key.slice(-4) }, at);
      cache.set(platform, { key, readAt: now() });
      return { summary, key, version: sealed.iv.toString('hex') };
    },

    markValidated: (platform, validation, at) => store.markValidated(platform, validation, at),

    async remove(platform) {
      const removed = await store.remove(platform);
      cache.set(platform, { key: null, readAt: now() });
      return removed;
    },

    unreadableMessage,
  };
}
