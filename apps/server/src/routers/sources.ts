/**
 * sources.*: what a download would fetch before it starts (`resolve`), the presets with what of them
 * is on disk (`presets`), and a preset as one bundle job (`downloadPreset`). Inputs are validated
 * here; behaviour lives in the engine.
 */
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { publicProcedure } from '../trpc';
import { enqueueInput } from './downloads';

/** The enqueue input without what only matters once a download runs. */
export const resolveInput = enqueueInput.omit({
  priority: true,
  bandwidthLimitBps: true,
  onFileFailure: true,
  reuseExisting: true,
  node: true,
});

const downloadPresetInput = z.object({
  presetId: z
    .string()
    .trim()
    .min(1, 'Choose a preset')
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'presetId must be a preset id such as "z-image-turbo"'),
  priority: enqueueInput.shape.priority,
});

export const sourcesRouter = {
  /** Starts nothing and writes nothing; failures carry the engine's code (GATED_REPO, AUTH_REQUIRED, …). */
  resolve: publicProcedure
    .input(resolveInput)
    .query(({ ctx, input, signal }) => ctx.manager.preview(input, { signal })),

  presets: publicProcedure.query(async ({ ctx }) => ({ items: await ctx.manager.presets() })),

  downloadPreset: publicProcedure.input(downloadPresetInput).mutation(async ({ ctx, input }) => {
    const { jobId, attached } = await ctx.manager.downloadPreset(input.presetId, {
      priority: input.priority,
    });
    return { jobId, attached };
  }),
} satisfies TRPCRouterRecord;
