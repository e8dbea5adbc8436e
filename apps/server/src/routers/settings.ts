/**
 * settings.apiKeys.*: saved API keys per platform. Inputs are validated here (a key is never echoed
 * in a message); behaviour lives in credentials/api-key-settings.ts. No answer ever carries a key.
 */
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  LEGACY_FOLDER_NAMES,
  ModeldockError,
  NSFW_LEVELS,
  findCharacterNotAllowedInKey,
  folderTableRows,
  unplacedCivitaiTypes,
} from '@modeldock/engine';
import type { AppSettings, AppSettingsService } from '@modeldock/engine';
import { metadataOf } from './library';
import type { ApiKeySettings } from '../credentials/api-key-settings';
import { API_KEY_PLATFORMS } from '../credentials/api-key-platforms';
import { publicProcedure } from '../trpc';
import type { AppContext } from '../trpc';

const platform = z.enum(API_KEY_PLATFORMS, {
  error: `platform must be one of ${API_KEY_PLATFORMS.join(', ')}`,
});

const apiKey = z
  .string({ error: 'key must be text' })
  .trim()
  .min(8, 'key is too short: paste the whole API key')
  .max(4096, 'key is too long: paste only the API key')
  .regex(/^\S+$/, 'key must be one word: paste it without spaces or line breaks')
  .superRefine((key, ctx) => {
    const refused = findCharacterNotAllowedInKey(key);
    if (refused) {
      ctx.addIssue({
        code: 'custom',
        message: `key must hold only visible ASCII characters (an HTTP header cannot carry the others): it has ${refused.description}; paste it again without it`,
      });
    }
  });

function apiKeysOf(ctx: AppContext): ApiKeySettings {
  if (!ctx.apiKeys) {
    throw new ModeldockError('INTERNAL', 'API key settings are not available in this server');
  }
  return ctx.apiKeys;
}

const apiKeysRouter = {
  list: publicProcedure.query(({ ctx }) => apiKeysOf(ctx).list()),

  set: publicProcedure
    .input(z.object({ platform, key: apiKey }))
    .mutation(({ ctx, input }) => apiKeysOf(ctx).set(input.platform, input.key)),

  validate: publicProcedure
    .input(z.object({ platform }))
    .mutation(({ ctx, input }) => apiKeysOf(ctx).validate(input.platform)),

  remove: publicProcedure
    .input(z.object({ platform }))
    .mutation(({ ctx, input }) => apiKeysOf(ctx).remove(input.platform)),
} satisfies TRPCRouterRecord;

/** Settings → Metadata: sidecars beside models, A1111's `<stem>.json`, the preview content limit. */
const metadataSettingsRouter = {
  get: publicProcedure.query(({ ctx }) => metadataOf(ctx).getSettings()),

  set: publicProcedure
    .input(
      z.object({
        writeSidecars: z.boolean().optional(),
        writeA1111: z.boolean().optional(),
        maxNsfwLevel: z
          .number()
          .int()
          .refine(
            (level) => (NSFW_LEVELS as readonly number[]).includes(level),
            `maxNsfwLevel must be one of ${NSFW_LEVELS.join(', ')} (1 PG, 2 PG-13, 4 R, 8 X, 16 XXX)`,
          )
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => metadataOf(ctx).setSettings(input)),
} satisfies TRPCRouterRecord;

function appSettingsOf(ctx: AppContext): AppSettingsService {
  if (!ctx.settings) throw new ModeldockError('INTERNAL', 'Settings are not available in this server');
  return ctx.settings;
}

/** Shapes only: the engine checks every value and names the field it refuses (nothing is stored then). */
const maintenanceTaskInput = z.object({ enabled: z.boolean().optional(), intervalMinutes: z.number().optional() }).strict();
const settingsUpdateInput = z
  .object({
    maintenance: z
      .object({ scan: maintenanceTaskInput.optional(), recovery: maintenanceTaskInput.optional(), updates: maintenanceTaskInput.optional() })
      .strict()
      .optional(),
    bandwidth: z
      .object({
        globalLimitBps: z.number().nullable().optional(),
        windows: z
          .array(z.object({ start: z.string().max(16), end: z.string().max(16), limitBps: z.number().nullable() }).strict())
          .max(100)
          .optional(),
      })
      .strict()
      .optional(),
    retention: z
      .object({ finishedJobsHours: z.number().nullable().optional(), failedJobsDays: z.number().optional() })
      .strict()
      .optional(),
    metadata: z
      .object({ writeSidecars: z.boolean().optional(), writeA1111: z.boolean().optional(), maxNsfwLevel: z.number().optional() })
      .strict()
      .optional(),
  })
  .strict();

/** The settings object with the server's time zone (bandwidth windows are in it). */
function withTimeZone(settings: AppSettings) {
  return { ...settings, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'local' };
}

export const settingsRouter = {
  /** The one settings object: maintenance schedule, bandwidth limit and windows, retention, metadata. */
  get: publicProcedure.query(async ({ ctx }) => withTimeZone(await appSettingsOf(ctx).get())),
  update: publicProcedure
    .input(settingsUpdateInput)
    .mutation(async ({ ctx, input }) => withTimeZone(await appSettingsOf(ctx).update(input))),
  apiKeys: apiKeysRouter,
  metadata: metadataSettingsRouter,
  /**
   * Where files go: the models folder, the data folder, and the table of ComfyUI folders with the
   * kinds of file placed in each (what the folder select and Settings show).
   */
  folders: publicProcedure.query(({ ctx }) => ({
    modelsDir: ctx.paths?.modelsDir ?? null,
    dataDir: ctx.paths?.dataDir ?? null,
    folders: folderTableRows(),
    legacyNames: Object.entries(LEGACY_FOLDER_NAMES).map(([legacy, folder]) => ({
      legacy,
      folder,
    })),
    civitaiTypesWithoutFolder: unplacedCivitaiTypes(),
  })),
} satisfies TRPCRouterRecord;
