/** workflows.*: ComfyUI workflows (UI or API format, JSON text or object, ≤ 10 MB). Behaviour lives in the engine's workflows/. */
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { ModeldockError } from '@modeldock/engine';
import type { Workflows } from '@modeldock/engine';
import { publicProcedure } from '../trpc';
import type { AppContext } from '../trpc';

function workflowsOf(ctx: AppContext): Workflows {
  if (!ctx.workflows)
    throw new ModeldockError('INTERNAL', 'Workflows are not available in this server');
  return ctx.workflows;
}

const workflowInput = z.object({ workflow: z.unknown() });

export const workflowsRouter = {
  /** Every model the workflow's loader nodes load: present or missing, with candidates and their evidence. */
  analyze: publicProcedure
    .input(workflowInput)
    .mutation(({ ctx, input }) => workflowsOf(ctx).analyze({ workflow: input.workflow })),

  /** One bundle job fetching the missing models into the folders and names the workflow loads. */
  downloadMissing: publicProcedure
    .input(workflowInput)
    .mutation(({ ctx, input }) => workflowsOf(ctx).downloadMissing({ workflow: input.workflow })),
} satisfies TRPCRouterRecord;
