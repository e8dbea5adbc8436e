/**
 * Encryption at rest for API keys: AES-256-GCM with a key that never enters the database (see
 * secret-key-source.ts). Every secret is sealed with a fresh random IV and with associated data
 * naming what it is (e.g. the platform), so a ciphertext copied into another row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ModeldockError } from '@modeldock/engine';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const AUTH_TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

export interface SealedSecret {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
}

export interface SecretBox {
  /** Encrypts `plaintext`; the same `boundTo` is needed to open it again. */
  seal(plaintext: string, boundTo: string): SealedSecret;
  /**
   * The plaintext, or null when this key cannot open it: sealed with another key, bound to
   * something else, or altered. Never throws for such a value: a replaced key file is a state to
   * report, not a crash.
   */
  open(sealed: SealedSecret, boundTo: string): string | null;
}

export function createSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== SECRET_KEY_BYTES) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `The secret key must be ${SECRET_KEY_BYTES} bytes (got ${key.length})`,
    );
  }
  const keyBytes = Buffer.from(key);

  return {
    seal(plaintext, boundTo) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, keyBytes, iv, { authTagLength: AUTH_TAG_BYTES });
      cipher.setAAD(Buffer.from(boundTo, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return { ciphertext, iv, authTag: cipher.getAuthTag() };
    },

    open(sealed, boundTo) {
      if (sealed.iv.length !== IV_BYTES || sealed.authTag.length !== AUTH_TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv(ALGORITHM, keyBytes, Buffer.from(sealed.iv), {
          authTagLength: AUTH_TAG_BYTES,
        });
        decipher.setAAD(Buffer.from(boundTo, 'utf8'));
        decipher.setAuthTag(Buffer.from(sealed.authTag));
        const plaintext = Buffer.concat([
          decipher.update(Buffer.from(sealed.ciphertext)),
          decipher.final(),
        ]);
        return plaintext.toString('utf8');
      } catch {
        // GCM's tag check failed: wrong key, wrong binding or tampered bytes look the same.
        return null;
      }
    },
  };
}
