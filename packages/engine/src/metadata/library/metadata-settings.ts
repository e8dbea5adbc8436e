/**
 * Settings → Metadata: write sidecars beside models (on by default), also A1111's `<stem>.json` (off),
 * and the preview content limit (Civitai nsfwLevel, default 2: PG and PG-13). Stored as one JSON
 * value; what an older version or a hand edit stored is read defensively, field by field.
 */
import { ModeldockError } from '../../errors';
import { DEFAULT_MAX_NSFW_LEVEL } from '../previews/choose-preview';
import type { MetadataSettings } from '../refresh/metadata-refresh';

export const DEFAULT_METADATA_SETTINGS: MetadataSettings = {
  writeSidecars: true,
  writeA1111: false,
  maxNsfwLevel: DEFAULT_MAX_NSFW_LEVEL,
};

/** Civitai's levels: 1 PG, 2 PG-13, 4 R, 8 X, 16 XXX (32 blocked). */
export const NSFW_LEVELS = [1, 2, 4, 8, 16] as const;

export const METADATA_SETTINGS_KEY = 'metadata';

export function readMetadataSettings(stored: unknown): MetadataSettings {
  const value = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
  return {
    writeSidecars: typeof value.writeSidecars === 'boolean' ? value.writeSidecars : DEFAULT_METADATA_SETTINGS.writeSidecars,
    writeA1111: typeof value.writeA1111 === 'boolean' ? value.writeA1111 : DEFAULT_METADATA_SETTINGS.writeA1111,
    maxNsfwLevel: (NSFW_LEVELS as readonly unknown[]).includes(value.maxNsfwLevel) ? (value.maxNsfwLevel as number) : DEFAULT_METADATA_SETTINGS.maxNsfwLevel,
  };
}

/** A change a client sent: every field optional, each checked. */
export function applyMetadataSettings(current: MetadataSettings, patch: Partial<MetadataSettings>): MetadataSettings {
  const next = { ...current };
  if (patch.writeSidecars !== undefined) {
    if (typeof patch.writeSidecars !== 'boolean') throw new ModeldockError('INVALID_INPUT', 'writeSidecars must be true or false');
    next.writeSidecars = patch.writeSidecars;
  }
  if (patch.writeA1111 !== undefined) {
    if (typeof patch.writeA1111 !== 'boolean') throw new ModeldockError('INVALID_INPUT', 'writeA1111 must be true or false');
    next.writeA1111 = patch.writeA1111;
  }
  if (patch.maxNsfwLevel !== undefined) {
    if (!(NSFW_LEVELS as readonly unknown[]).includes(patch.maxNsfwLevel)) {
      throw new ModeldockError('INVALID_INPUT', `maxNsfwLevel must be one of ${NSFW_LEVELS.join(', ')} (1 PG, 2 PG-13, 4 R, 8 X, 16 XXX)`);
    }
    next.maxNsfwLevel = patch.maxNsfwLevel;
  }
  return next;
}
