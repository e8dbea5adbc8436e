/**
 * notifications.*: the in-app notification centre (list, markRead) and outgoing destinations
 * (webhook, ntfy). Shapes are checked here; URLs, private addresses and event names in the engine
 * (notifications/destination-input.ts). No answer carries a URL's user info or query.
 */
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { DESTINATION_KINDS, NOTIFICATION_EVENTS } from '@modeldock/engine';
import { publicProcedure } from '../trpc';

const id = z
  .string({ error: 'id must be text' })
  .min(1, 'id must not be empty')
  .max(64, 'id is too long');

const destinationsRouter = {
  /** Every destination with the events it wants and its delivery status (last success, last error). */
  list: publicProcedure.query(({ ctx }) => ctx.notifications.destinations.list()),

  add: publicProcedure
    .input(
      z.object({
        kind: z.enum(DESTINATION_KINDS, {
          error: `kind must be one of ${DESTINATION_KINDS.join(', ')}`,
        }),
        url: z
          .string({ error: 'url must be text' })
          .max(2048, 'url is too long: at most 2048 characters'),
        events: z
          .array(z.string({ error: 'events must be event names' }).max(64), {
            error: `events must be a list of event names (${NOTIFICATION_EVENTS.join(', ')})`,
          })
          .max(NOTIFICATION_EVENTS.length * 2, 'events lists too many names')
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => ctx.notifications.destinations.add(input)),

  remove: publicProcedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => ctx.notifications.destinations.remove(input.id)),

  /** Sends a test notification now; answers whether it arrived (a failure is an answer, not an error). */
  test: publicProcedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => ctx.notifications.destinations.test(input.id)),
} satisfies TRPCRouterRecord;

export const notificationsRouter = {
  /** Newest first, `limit` per page (default 50, at most 200), with the unread count. */
  list: publicProcedure
    .input(
      z
        .object({
          limit: z
            .number()
            .int('limit must be a whole number')
            .min(1, 'limit must be 1 or more')
            .max(200, 'limit must be 200 or less')
            .optional(),
          cursor: z
            .string({ error: 'cursor must be text' })
            .max(64, 'cursor is too long')
            .nullish(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => ctx.notifications.list(input ?? {})),

  /** Marks the given notifications read, or all of them; answers how many changed and how many remain unread. */
  markRead: publicProcedure
    .input(
      z.union(
        [
          z
            .object({
              ids: z
                .array(id)
                .min(1, 'ids must name at least one notification')
                .max(500, 'ids lists too many notifications'),
            })
            .strict(),
          z.object({ all: z.literal(true, { error: 'all must be true' }) }).strict(),
        ],
        { error: 'send { ids: [...] } or { all: true }' },
      ),
    )
    .mutation(({ ctx, input }) => ctx.notifications.markRead(input)),

  destinations: destinationsRouter,
} satisfies TRPCRouterRecord;
