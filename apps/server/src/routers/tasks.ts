/** tasks.*: durable refresh tasks (library scans, and the metadata refreshes that build on them). */
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { TASK_STATUSES } from '@modeldock/engine';
import { publicProcedure } from '../trpc';

const taskId = z.object({ taskId: z.string().min(1).max(64) });

export const tasksRouter = {
  list: publicProcedure
    .input(
      z
        .object({
          status: z.array(z.enum(TASK_STATUSES)).optional(),
          kind: z.string().min(1).max(64).optional(),
          limit: z.number().int().min(1).max(500).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => ctx.tasks.list(input ?? {})),

  get: publicProcedure.input(taskId).query(({ ctx, input }) => ctx.tasks.get(input.taskId)),

  cancel: publicProcedure
    .input(taskId)
    .mutation(({ ctx, input }) => ctx.tasks.cancel(input.taskId)),
} satisfies TRPCRouterRecord;
