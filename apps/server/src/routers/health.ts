import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc';

export const healthProcedure = publicProcedure.query(({ ctx }) => ({
  ok: true as const,
  version: ctx.version,
  database: ctx.database,
}));

export const healthRouter = { health: healthProcedure } satisfies TRPCRouterRecord;
