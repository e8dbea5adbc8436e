/** library.*: the model library's public contract. Inputs are validated here; behaviour lives in the engine's library/. */
import { tracked } from '@trpc/server';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  LIBRARY_FLAGS,
  LIBRARY_FORMATS,
  LIBRARY_SORTS,
  LIBRARY_SOURCE_KINDS,
  LIBRARY_STATUSES,
  MAX_LIBRARY_PAGE,
  ModeldockError,
  REFRESH_KINDS,
  REFRESH_SCOPES,
  TASK_PRIORITIES,
} from '@modeldock/engine';
import type { Collection, LibraryMetadata } from '@modeldock/engine';
import { publicProcedure } from '../trpc';
import type { AppContext } from '../trpc';
import { subscribeToLibraryEvents } from '../library/library-event-stream';
import type { LibraryStreamEvent } from '../library/library-event-stream';

const entryId = z.string().min(1).max(64);

export const libraryListInput = z
  .object({
    status: z.array(z.enum(LIBRARY_STATUSES)).min(1).max(2).optional(),
    folder: z.string().max(512).nullish(),
    source: z.enum(LIBRARY_SOURCE_KINDS).nullish(),
    format: z.enum(LIBRARY_FORMATS).nullish(),
    /** update_available, incomplete (metadata not complete), no_preview (no preview image). */
    flag: z.enum(LIBRARY_FLAGS).nullish(),
    search: z.string().max(512).nullish(),
    sort: z.enum(LIBRARY_SORTS).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    limit: z.number().int().min(1).max(MAX_LIBRARY_PAGE).optional(),
    cursor: z.string().max(2048).nullish(),
  })
  .optional();

export function metadataOf(ctx: AppContext): LibraryMetadata {
  if (!ctx.metadata)
    throw new ModeldockError('INTERNAL', 'Model metadata is not available in this server');
  return ctx.metadata;
}

export function collectionOf(ctx: AppContext): Collection {
  if (!ctx.collection)
    throw new ModeldockError('INTERNAL', 'Export and import are not available in this server');
  return ctx.collection;
}

const selection = {
  ids: z.array(entryId).min(1).max(500).optional(),
  scope: z.enum(REFRESH_SCOPES).optional(),
  priority: z.enum(TASK_PRIORITIES).optional(),
};

export const libraryRouter = {
  list: publicProcedure
    .input(libraryListInput)
    .query(({ ctx, input }) => ctx.library.list(input ?? {})),

  get: publicProcedure
    .input(z.object({ id: entryId }))
    .query(({ ctx, input }) => ctx.library.get(input.id)),

  /** Disk usage, and how many entries have partial or minimal metadata, no preview, an update. */
  stats: publicProcedure.query(async ({ ctx }) => ({
    ...(await ctx.library.stats()),
    metadata: ctx.metadata ? await ctx.metadata.summary() : null,
  })),

  /** Metadata, previews or both, for chosen entries, all incomplete ones ("Fix all"), or all. */
  refresh: publicProcedure
    .input(z.object({ ...selection, kind: z.enum(REFRESH_KINDS) }))
    .mutation(({ ctx, input }) => metadataOf(ctx).refresh(input)),

  checkUpdates: publicProcedure
    .input(z.object(selection).optional())
    .mutation(({ ctx, input }) => metadataOf(ctx).checkUpdates(input ?? {})),

  /** Downloads the newer version found by an update check (Civitai: beside the old file). */
  update: publicProcedure
    .input(z.object({ id: entryId }))
    .mutation(({ ctx, input }) => metadataOf(ctx).update(input.id)),

  /** The collection manifest (schema modeldock.collection, version 1; see the README). */
  export: publicProcedure
    .input(z.object({ includeMetadata: z.boolean().optional() }).optional())
    .query(({ ctx, input }) => collectionOf(ctx).export(input ?? {})),

  /**
   * A manifest (JSON text or object, ≤ 10 MB): what is present, missing (with where from and its
   * access) and unresolved; without dryRun also one bundle job fetching the missing files.
   */
  import: publicProcedure
    .input(z.object({ manifest: z.unknown(), dryRun: z.boolean().optional() }))
    .mutation(({ ctx, input }) =>
      collectionOf(ctx).import({ manifest: input.manifest, dryRun: input.dryRun }),
    ),

  /** Free space and whether the models root takes a new file (a probe written, fsynced, removed). */
  storage: publicProcedure.query(({ ctx }) => ctx.library.storage()),

  delete: publicProcedure
    .input(z.object({ ids: z.array(entryId).min(1).max(500) }))
    .mutation(({ ctx, input }) => ctx.library.delete(input.ids)),

  clearCache: publicProcedure
    .input(z.object({ dryRun: z.boolean() }))
    .mutation(({ ctx, input }) => ctx.library.clearCache(input)),

  redownload: publicProcedure
    .input(z.object({ id: entryId }))
    .mutation(({ ctx, input }) => ctx.library.redownload(input.id)),

  scan: publicProcedure.mutation(({ ctx }) => ctx.library.scan()),

  /**
   * Entries changed and task progress, live. With `lastEventId` the events missed since are
   * replayed; when they cannot be (the server restarted), a 'snapshot' of open and recent tasks.
   */
  events: publicProcedure
    .input(z.object({ lastEventId: z.string().max(100).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const event of subscribeToLibraryEvents(ctx.library, ctx.tasks, {
        lastEventId: input?.lastEventId ?? null,
        signal,
      })) {
        yield tracked(event.id, event satisfies LibraryStreamEvent);
      }
    }),
} satisfies TRPCRouterRecord;
