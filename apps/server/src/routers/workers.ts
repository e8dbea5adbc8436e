/** workers.*: the server processes sharing the database (their node names, heartbeats and running jobs). */
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc';

export const workersRouter = {
  /** Every worker with its name, start, last heartbeat, whether it is alive and the jobs it runs. */
  list: publicProcedure.query(async ({ ctx }) => ({
    node: ctx.workers?.nodeName ?? null,
    items: ctx.workers ? await ctx.workers.list() : [],
  })),
} satisfies TRPCRouterRecord;
