/** downloads.*: the public contract for jobs. Inputs are validated here; behaviour lives in the engine. */
import { tracked } from '@trpc/server';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { JOB_STATUSES, isValidNodeName } from '@modeldock/engine';
import type { BandwidthLimitView, JobEvent } from '@modeldock/engine';
import { publicProcedure } from '../trpc';
import type { AppContext } from '../trpc';
import { subscribeToJobEvents } from '../events/job-event-stream';
import { plainName, withoutControlCharacters } from './input-text';

const jobIdText = withoutControlCharacters(z.string().min(1).max(100), 'jobId');
const jobId = z.object({ jobId: jobIdText });
const sha256 = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hexadecimal characters')
  .transform((value) => value.toLowerCase());
const globList = z
  .array(withoutControlCharacters(z.string().trim().min(1).max(512), 'a pattern'))
  .max(100, 'at most 100 patterns');
const shortText = withoutControlCharacters(
  z.string().trim().min(1).max(64),
  'a Civitai file choice',
);
const bytesPerSecond = z.number().int().positive().max(1e12).nullable();

function bandwidthLimits(ctx: AppContext): BandwidthLimitView & { globalBps: number | null } {
  if (ctx.bandwidth) {
    const view = ctx.bandwidth.current();
    return { ...view, globalBps: view.bps };
  }
  return manualLimits(ctx.manager.getBandwidthLimits().globalBps);
}

/** Without stored settings (a bare listener): only the manual limit, in this process. */
function manualLimits(globalBps: number | null): BandwidthLimitView & { globalBps: number | null } {
  return { bps: globalBps, globalBps, manualBps: globalBps, source: 'manual', window: null };
}

export const enqueueInput = z.object({
  url: withoutControlCharacters(
    z.string().trim().min(1, 'Paste a URL to download').max(8192),
    'url',
  ),
  folder: plainName(z.string().max(1024), 'folder').optional(),
  filename: plainName(z.string().max(1024), 'filename').optional(),
  sha256: sha256.optional(),
  priority: z.number().int().min(0, 'priority must be 0 or more').max(1_000_000).optional(),
  bandwidthLimitBps: bytesPerSecond.optional(),
  onFileFailure: z.enum(['keep', 'rollback']).optional(),
  revision: withoutControlCharacters(z.string().trim().min(1).max(256), 'revision').optional(),
  include: globList.optional(),
  exclude: globList.optional(),
  civitaiFile: z
    .object({
      type: shortText.optional(),
      format: shortText.optional(),
      size: shortText.optional(),
      fp: shortText.optional(),
      quantType: shortText.optional(),
      fileId: z.number().int().positive().optional(),
    })
    .optional(),
  layout: z.enum(['comfyui', 'hf-cache']).optional(),
  /** Hugging Face repositories or folders: exactly these files (the file picker's ticks). */
  files: z
    .array(
      z.object({
        path: plainName(z.string().trim().min(1).max(1024), 'a file path'),
        folder: plainName(z.string().max(1024), 'folder').optional(),
      }),
    )
    .min(1, 'files must list at least one file')
    .max(10_000, 'at most 10000 files')
    .optional(),
  reuseExisting: z.boolean().optional(),
  /** The worker (MODELDOCK_NODE_NAME) that must download it; absent = any worker. */
  node: z
    .string()
    .trim()
    .refine(
      isValidNodeName,
      'node must be a worker name: 1 to 63 letters, digits, dots, dashes or underscores',
    )
    .optional(),
});

export const downloadsRouter = {
  enqueue: publicProcedure
    .input(enqueueInput)
    .mutation(({ ctx, input }) => ctx.manager.enqueue(input)),

  list: publicProcedure
    .input(
      z
        .object({
          status: z.array(z.enum(JOB_STATUSES)).optional(),
          limit: z.number().int().min(1).max(500).optional(),
          cursor: withoutControlCharacters(z.string().max(500), 'cursor').nullish(),
        })
        .optional(),
    )
    .query(({ ctx, input }) =>
      ctx.manager.listJobs({
        status: input?.status,
        limit: input?.limit ?? 100,
        cursor: input?.cursor ?? null,
      }),
    ),

  get: publicProcedure.input(jobId).query(({ ctx, input }) => ctx.manager.getJob(input.jobId)),
  cancel: publicProcedure
    .input(jobId)
    .mutation(({ ctx, input }) => ctx.manager.cancel(input.jobId)),
  pause: publicProcedure.input(jobId).mutation(({ ctx, input }) => ctx.manager.pause(input.jobId)),
  resume: publicProcedure
    .input(jobId)
    .mutation(({ ctx, input }) => ctx.manager.resume(input.jobId)),
  retry: publicProcedure.input(jobId).mutation(({ ctx, input }) => ctx.manager.retry(input.jobId)),

  setPriority: publicProcedure
    .input(jobId.extend({ priority: z.number().int().min(0).max(1_000_000) }))
    .mutation(({ ctx, input }) => ctx.manager.setPriority(input.jobId, input.priority)),
  moveToTop: publicProcedure
    .input(jobId)
    .mutation(({ ctx, input }) => ctx.manager.moveToTop(input.jobId)),
  setBandwidthLimit: publicProcedure
    .input(jobId.extend({ bytesPerSecond }))
    .mutation(({ ctx, input }) =>
      ctx.manager.setJobBandwidthLimit(input.jobId, input.bytesPerSecond),
    ),

  /** The global limit in force, where it comes from (the manual limit or a bandwidth window), and the manual limit. */
  limits: publicProcedure.query(({ ctx }) => bandwidthLimits(ctx)),
  /** The manual limit: stored, so it holds after a restart and in every process sharing the database. */
  setGlobalBandwidthLimit: publicProcedure.input(z.object({ bytesPerSecond })).mutation(async ({ ctx, input }) => {
    if (!ctx.settings) return manualLimits(ctx.manager.setGlobalBandwidthLimit(input.bytesPerSecond).globalBps);
    await ctx.settings.update({ bandwidth: { globalLimitBps: input.bytesPerSecond } });
    return bandwidthLimits(ctx);
  }),

  /** For a failed or cancelled multi-file job: deletes the files it completed, and says so on the job. */
  rollback: publicProcedure
    .input(jobId)
    .mutation(({ ctx, input }) => ctx.manager.rollback(input.jobId)),

  /** One finished job off the list; its completed files stay. */
  remove: publicProcedure.input(jobId).mutation(async ({ ctx, input }) => {
    await ctx.manager.removeJob(input.jobId);
    return { removed: true as const };
  }),

  clearFinished: publicProcedure.mutation(async ({ ctx }) => ({
    removed: await ctx.manager.clearFinished(),
  })),

  /**
   * Job events: stored status changes after `lastEventId` first, then live events. Each carries the
   * job's current summary; progress is coalesced by the engine.
   */
  events: publicProcedure
    .input(
      z
        .object({
          jobId: jobIdText.optional(),
          lastEventId: withoutControlCharacters(z.string().max(100), 'lastEventId').nullish(),
        })
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const event of subscribeToJobEvents(ctx.events, {
        jobId: input?.jobId,
        lastEventId: input?.lastEventId ?? null,
        signal,
      })) {
        yield tracked(event.id, event satisfies JobEvent);
      }
    }),
} satisfies TRPCRouterRecord;
