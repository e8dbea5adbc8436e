/** library.*: the model library's public contract. Inputs are validated here; behaviour lives in the engine's library/. */
import { tracked } from '@trpc/server';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  LIBRARY_FORMATS,
  LIBRARY_SORTS,
  LIBRARY_SOURCE_KINDS,
  LIBRARY_STATUSES,
  MAX_LIBRARY_PAGE,
} from '@modeldock/engine';
import { call, publicProcedure } from '../trpc';
import { subscribeToLibraryEvents } from '../library/library-event-stream';
import type { LibraryStreamEvent } from '../library/library-event-stream';

const entryId = z.string().min(1).max(64);

export const libraryListInput = z
  .object({
    status: z.array(z.enum(LIBRARY_STATUSES)).min(1).max(2).optional(),
    folder: z.string().max(512).nullish(),
    source: z.enum(LIBRARY_SOURCE_KINDS).nullish(),
    format: z.enum(LIBRARY_FORMATS).nullish(),
    search: z.string().max(512).nullish(),
    sort: z.enum(LIBRARY_SORTS).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    limit: z.number().int().min(1).max(MAX_LIBRARY_PAGE).optional(),
    cursor: z.string().max(2048).nullish(),
  })
  .optional();

export const libraryRouter = {
  list: publicProcedure
    .input(libraryListInput)
    .query(({ ctx, input }) => call(() => ctx.library.list(input ?? {}))),

  get: publicProcedure
    .input(z.object({ id: entryId }))
    .query(({ ctx, input }) => call(() => ctx.library.get(input.id))),

  stats: publicProcedure.query(({ ctx }) => call(() => ctx.library.stats())),

  /** Free space and whether the models root takes a new file (a probe written, fsynced, removed). */
  storage: publicProcedure.query(({ ctx }) => call(() => ctx.library.storage())),

  delete: publicProcedure
    .input(z.object({ ids: z.array(entryId).min(1).max(500) }))
    .mutation(({ ctx, input }) => call(() => ctx.library.delete(input.ids))),

  clearCache: publicProcedure
    .input(z.object({ dryRun: z.boolean() }))
    .mutation(({ ctx, input }) => call(() => ctx.library.clearCache(input))),

  redownload: publicProcedure
    .input(z.object({ id: entryId }))
    .mutation(({ ctx, input }) => call(() => ctx.library.redownload(input.id))),

  scan: publicProcedure.mutation(({ ctx }) => call(() => ctx.library.scan())),

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

