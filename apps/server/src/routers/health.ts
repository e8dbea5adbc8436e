import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc';

/**
 * Is the server up, which version and database, and which workers share the database: this
 * process's node name and every worker with its last heartbeat and running jobs.
 */
export const healthProcedure = publicProcedure.query(async ({ ctx }) => ({
  ok: true as const,
  version: ctx.version,
  database: ctx.database,
  node: ctx.workers?.nodeName ?? null,
  workers: ctx.workers ? await ctx.workers.list() : [],
}));

export const healthRouter = { health: healthProcedure } satisfies TRPCRouterRecord;
