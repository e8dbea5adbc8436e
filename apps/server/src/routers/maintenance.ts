/**
 * maintenance.*: the schedule's state per kind (last run, next run, last report) and "run now" (a
 * user-initiated run, which includes models skipped after repeated failures).
 */
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { MAINTENANCE_KINDS, ModeldockError } from '@modeldock/engine';
import type { MaintenanceScheduler } from '@modeldock/engine';
import { publicProcedure } from '../trpc';
import type { AppContext } from '../trpc';

export function maintenanceOf(ctx: AppContext): MaintenanceScheduler {
  if (!ctx.maintenance) throw new ModeldockError('INTERNAL', 'Scheduled maintenance is not available in this server');
  return ctx.maintenance;
}

export const maintenanceRouter = {
  status: publicProcedure.query(({ ctx }) => maintenanceOf(ctx).status()),
  run: publicProcedure
    .input(z.object({ kind: z.enum(MAINTENANCE_KINDS, { error: `kind must be one of ${MAINTENANCE_KINDS.join(', ')}` }) }))
    .mutation(({ ctx, input }) => maintenanceOf(ctx).runNow(input.kind)),
} satisfies TRPCRouterRecord;
