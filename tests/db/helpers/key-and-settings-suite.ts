/** API keys and settings behave the same on every driver: one suite, run per driver. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables } from '@modeldock/db/testing';

const NOW = new Date('2030-02-03T04:05:06.789Z');
const LATER = new Date('2030-02-04T00:00:00.000Z');

function encrypted(seed: number) {
  return {
    ciphertext: Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 7 + seed) % 256)),
    iv: Buffer.from(Array.from({ length: 12 }, (_, i) => (i + seed) % 256)),
    authTag: Buffer.from(Array.from({ length: 16 }, (_, i) => (255 - i - seed) % 256)),
  };
}

export function describeApiKeyAndSettingsStores(getDatabase: () => ModeldockDatabase): void {
  describe('API keys and settings', () => {
    beforeEach(async () => {
      await clearAllTables(getDatabase());
    });

    describeApiKeys(getDatabase);
    describeSettings(getDatabase);
  });
}

function describeApiKeys(getDatabase: () => ModeldockDatabase): void {
  describe('API keys', () => {
    it('stores exactly the ciphertext, IV and auth tag it was given', async () => {
      const { apiKeys } = getDatabase();
      const key = encrypted(3);
      // Includes a zero byte and high bytes: binary, not text.
      key.ciphertext[0] = 0;
      key.ciphertext[1] = 0xff;
      const summary = await apiKeys.set({ platform: 'huggingface', ...key, last4: 'x9Qz' }, NOW);
      expect(summary).toEqual({
        platform: 'huggingface',
        last4: 'x9Qz',
        createdAt: NOW,
        validatedAt: null,
        valid: null,
        validationMessage: null,
      });

      const stored = await apiKeys.get('huggingface');
      expect(Buffer.compare(stored!.ciphertext, key.ciphertext)).toBe(0);
      expect(Buffer.compare(stored!.iv, key.iv)).toBe(0);
      expect(Buffer.compare(stored!.authTag, key.authTag)).toBe(0);
      expect(stored).toMatchObject(summary);
      expect(await apiKeys.get('civitai')).toBeNull();
    });

    it('accepts plain Uint8Arrays as well as Buffers', async () => {
      const { apiKeys } = getDatabase();
      const key = encrypted(5);
      await apiKeys.set(
        {
          platform: 'civitai',
          ciphertext: new Uint8Array(key.ciphertext),
          iv: new Uint8Array(key.iv),
          authTag: new Uint8Array(key.authTag),
          last4: 'abcd',
        },
        NOW,
      );
      expect(Buffer.compare((await apiKeys.get('civitai'))!.ciphertext, key.ciphertext)).toBe(0);
    });

    it('lists keys without any of the encrypted material', async () => {
      const { apiKeys } = getDatabase();
      const hf = encrypted(1);
      const civitai = encrypted(2);
      await apiKeys.set({ platform: 'huggingface', ...hf, last4: 'hf12' }, NOW);
      await apiKeys.set({ platform: 'civitai', ...civitai, last4: 'cv34' }, NOW);

      const listed = await apiKeys.list();
      expect(listed.map((key) => key.platform)).toEqual(['civitai', 'huggingface']);
      for (const key of listed) {
        expect(Object.keys(key).sort()).toEqual(
          ['createdAt', 'last4', 'platform', 'valid', 'validatedAt', 'validationMessage'].sort(),
        );
      }
      const text = JSON.stringify(listed);
      for (const material of [hf.ciphertext, hf.iv, hf.authTag, civitai.ciphertext]) {
        expect(text).not.toContain(material.toString('base64'));
        expect(text).not.toContain(material.toString('hex'));
      }
    });

    it('records a validation, and a replaced key starts unvalidated again', async () => {
      const { apiKeys } = getDatabase();
      await apiKeys.set({ platform: 'huggingface', ...encrypted(1), last4: 'old1' }, NOW);
      expect(
        await apiKeys.markValidated(
          'huggingface',
          { valid: true, message: 'Token is valid for user alice' },
          LATER,
        ),
      ).toMatchObject({
        valid: true,
        validationMessage: 'Token is valid for user alice',
        validatedAt: LATER,
      });
      expect(await apiKeys.get('huggingface')).toMatchObject({ valid: true, validatedAt: LATER });

      const replacement = encrypted(9);
      const summary = await apiKeys.set(
        { platform: 'huggingface', ...replacement, last4: 'new9' },
        LATER,
      );
      expect(summary).toMatchObject({
        last4: 'new9',
        valid: null,
        validatedAt: null,
        validationMessage: null,
      });
      expect(
        Buffer.compare((await apiKeys.get('huggingface'))!.ciphertext, replacement.ciphertext),
      ).toBe(0);
      expect(await apiKeys.list()).toHaveLength(1);

      expect(
        await apiKeys.markValidated('civitai', { valid: false, message: '401' }, LATER),
      ).toBeNull();
      expect(await apiKeys.get('civitai')).toBeNull();
    });

    it('removes a key once', async () => {
      const { apiKeys } = getDatabase();
      await apiKeys.set({ platform: 'civitai', ...encrypted(4), last4: 'zzzz' }, NOW);
      expect(await apiKeys.remove('civitai')).toBe(true);
      expect(await apiKeys.get('civitai')).toBeNull();
      expect(await apiKeys.remove('civitai')).toBe(false);
    });

    it('refuses bad input and stores nothing', async () => {
      const { apiKeys } = getDatabase();
      const key = encrypted(1);
      await expect(
        apiKeys.set({ platform: 'github' as 'civitai', ...key, last4: 'abcd' }, NOW),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(
        apiKeys.set(
          { platform: 'civitai', ...key, ciphertext: new Uint8Array(), last4: 'abcd' },
          NOW,
        ),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(
        apiKeys.set({ platform: 'civitai', ...key, last4: 'the-whole-key' }, NOW),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(apiKeys.get('github' as 'civitai')).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      expect(await apiKeys.list()).toEqual([]);
    });
  });
}

function describeSettings(getDatabase: () => ModeldockDatabase): void {
  describe('settings', () => {
    it('round-trips JSON values and lists them', async () => {
      const { settings } = getDatabase();
      expect(await settings.get('bandwidth.globalBps')).toBeUndefined();
      const values: Record<string, unknown> = {
        'bandwidth.globalBps': 5_000_000,
        'ui.theme': 'dark',
        'downloads.paused': false,
        'folders.map': {
          lora: 'loras',
          checkpoint: ['models', 'checkpoints'],
          nested: { deep: null },
        },
        'nothing.here': null,
      };
      for (const [key, value] of Object.entries(values)) await settings.set(key, value, NOW);
      for (const [key, value] of Object.entries(values))
        expect(await settings.get(key)).toEqual(value);
      expect(await settings.list()).toEqual(values);
    });

    it('overwrites and removes', async () => {
      const { settings } = getDatabase();
      await settings.set('bandwidth.globalBps', 1, NOW);
      await settings.set('bandwidth.globalBps', 2, LATER);
      expect(await settings.get('bandwidth.globalBps')).toBe(2);
      expect(await settings.remove('bandwidth.globalBps')).toBe(true);
      expect(await settings.get('bandwidth.globalBps')).toBeUndefined();
      expect(await settings.remove('bandwidth.globalBps')).toBe(false);
    });

    it('refuses names and values that would not round-trip, storing nothing', async () => {
      const { settings } = getDatabase();
      for (const key of ['', 'has space', 'x'.repeat(201), 'semi;colon']) {
        await expect(settings.set(key, 1, NOW)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
      for (const value of [
        undefined,
        Number.NaN,
        new Date(0),
        () => 1,
        { nested: undefined },
        [1, undefined],
      ]) {
        await expect(settings.set('bad.value', value, NOW)).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
      }
      expect(await settings.list()).toEqual({});
    });
  });
}
