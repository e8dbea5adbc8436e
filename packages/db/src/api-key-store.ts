/**
 * API keys per platform, as the server encrypted them. This store never sees a key in clear: it
 * keeps the ciphertext, IV and auth tag exactly as given, and `list` leaves all three out so the
 * listing can go anywhere a key must not.
 */
import { eq } from 'drizzle-orm';
import type { CredentialKind } from '@modeldock/engine';
import { ModeldockError } from '@modeldock/engine';
import type { Database } from './database';
import { withDatabaseErrors } from './database-errors';
import { apiKeys } from './schema';
import type { ApiKeyRow } from './schema';

export type ApiKeyPlatform = Exclude<CredentialKind, null>;

const PLATFORMS: readonly ApiKeyPlatform[] = ['huggingface', 'civitai'];

export interface EncryptedApiKey {
  platform: ApiKeyPlatform;
  ciphertext: Uint8Array;
  iv: Uint8Array;
  authTag: Uint8Array;
  /** The key's last four characters, shown so a person can tell which key is stored. */
  last4: string;
}

/** What may be shown about a stored key: everything but the encrypted key itself. */
export interface ApiKeySummary {
  platform: ApiKeyPlatform;
  last4: string;
  createdAt: Date;
  validatedAt: Date | null;
  /** Null until the key has been checked against the platform. */
  valid: boolean | null;
  validationMessage: string | null;
}

export interface StoredApiKey extends ApiKeySummary {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
}

export interface ApiKeyValidation {
  valid: boolean;
  /** What the platform said, for the user (e.g. "Token is valid for user alice", "401 Unauthorized"). */
  message: string | null;
}

export interface ApiKeyStore {
  /** Stores (or replaces) a platform's key; a replaced key's validation is cleared. */
  set(key: EncryptedApiKey, now: Date): Promise<ApiKeySummary>;
  get(platform: ApiKeyPlatform): Promise<StoredApiKey | null>;
  /** True when a key was removed. */
  remove(platform: ApiKeyPlatform): Promise<boolean>;
  list(): Promise<ApiKeySummary[]>;
  /** Records the outcome of checking the key with its platform; null when no key is stored. */
  markValidated(
    platform: ApiKeyPlatform,
    validation: ApiKeyValidation,
    now: Date,
  ): Promise<ApiKeySummary | null>;
}

function checkPlatform(platform: string): asserts platform is ApiKeyPlatform {
  if (!PLATFORMS.includes(platform as ApiKeyPlatform)) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `"${platform.slice(0, 40)}" is not a platform with API keys: use ${PLATFORMS.join(' or ')}.`,
    );
  }
}

function toSummary(row: ApiKeyRow): ApiKeySummary {
  return {
    platform: row.platform,
    last4: row.last4,
    createdAt: row.createdAt,
    validatedAt: row.validatedAt,
    valid: row.valid,
    validationMessage: row.validationMessage,
  };
}

const summaryColumns = {
  platform: apiKeys.platform,
  last4: apiKeys.last4,
  createdAt: apiKeys.createdAt,
  validatedAt: apiKeys.validatedAt,
  valid: apiKeys.valid,
  validationMessage: apiKeys.validationMessage,
};

export function createApiKeyStore(db: Database): ApiKeyStore {
  return {
    async set(key, now) {
      return withDatabaseErrors('storing an API key', async () => {
        checkPlatform(key.platform);
        if (key.ciphertext.length === 0 || key.iv.length === 0 || key.authTag.length === 0) {
          throw new ModeldockError(
            'INVALID_INPUT',
            'An API key must be stored encrypted: ciphertext, IV and auth tag are all required.',
          );
        }
        if (key.last4.length > 4) {
          throw new ModeldockError(
            'INVALID_INPUT',
            'last4 holds at most the last four characters of the key.',
          );
        }
        const values = {
          platform: key.platform,
          ciphertext: Buffer.from(key.ciphertext),
          iv: Buffer.from(key.iv),
          authTag: Buffer.from(key.authTag),
          last4: key.last4,
          createdAt: now,
          validatedAt: null,
          valid: null,
          validationMessage: null,
        };
        const [row] = await db
          .insert(apiKeys)
          .values(values)
          .onConflictDoUpdate({ target: apiKeys.platform, set: values })
          .returning(summaryColumns);
        return row!;
      });
    },

    async get(platform) {
      return withDatabaseErrors('reading an API key', async () => {
        checkPlatform(platform);
        const [row] = await db.select().from(apiKeys).where(eq(apiKeys.platform, platform));
        return row
          ? { ...toSummary(row), ciphertext: row.ciphertext, iv: row.iv, authTag: row.authTag }
          : null;
      });
    },

    async remove(platform) {
      return withDatabaseErrors('removing an API key', async () => {
        checkPlatform(platform);
        const removed = await db
          .delete(apiKeys)
          .where(eq(apiKeys.platform, platform))
          .returning({ platform: apiKeys.platform });
        return removed.length > 0;
      });
    },

    async list() {
      return withDatabaseErrors('listing API keys', async () => {
        return db.select(summaryColumns).from(apiKeys).orderBy(apiKeys.platform);
      });
    },

    async markValidated(platform, validation, now) {
      return withDatabaseErrors('recording an API key check', async () => {
        checkPlatform(platform);
        const [row] = await db
          .update(apiKeys)
          .set({ valid: validation.valid, validationMessage: validation.message, validatedAt: now })
          .where(eq(apiKeys.platform, platform))
          .returning(summaryColumns);
        return row ?? null;
      });
    },
  };
}
