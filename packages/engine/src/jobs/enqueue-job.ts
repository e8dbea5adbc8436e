/**
 * `enqueue`: validate the request and judge what can be judged without the network (the link's
 * form, fields the source does not take), then record the job and return its id at once. Resolving
 * the source into files and checking what is already on disk is the job's first step
 * (./job-preparation.ts), run right away in this process when it can take work, else by whichever
 * worker claims the job. An identical request while its job is active attaches to that job.
 * Bad input throws and writes nothing.
 */
import { createHash } from 'node:crypto';
import { toModeldockError } from '../errors';
import type { JobPhase, PendingRequest } from '../job-model';
import { redactUrl } from '../secrets/redact';
import { directUrlResolver } from '../sources/direct-url';
import type { SourceResolver } from '../sources/source-resolver';
import type { EnqueueRequest, EnqueueResult } from '../download-request';
import { validateEnqueueRequest } from './enqueue-request';
import type { ValidatedEnqueueRequest } from './enqueue-request';
import { logJobStatus } from './job-log';
import type { ManagerContext } from './manager-context';

/** Fields that do not change what a request downloads: two requests differing only here are the same. */
const NOT_PART_OF_THE_KEY = new Set([
  'priority',
  'bandwidthLimitBps',
  'onFileFailure',
  'reuseExisting',
]);

export const RESOLVING: JobPhase = {
  step: 'resolving',
  detail: null,
  bytesDone: 0,
  bytesTotal: null,
};

export function resolverFor(ctx: Pick<ManagerContext, 'resolvers'>, url: string): SourceResolver {
  return ctx.resolvers.find((candidate) => candidate.accepts(url)) ?? directUrlResolver;
}

/** The request as stored on its job until its first step ran: plain JSON, its link redacted. */
export function storableRequest(request: ValidatedEnqueueRequest): PendingRequest {
  return JSON.parse(JSON.stringify({ ...request, url: redactUrl(request.url) })) as PendingRequest;
}

/** Equal for two requests that download the same thing (a double click, the same link pasted twice). */
export function requestKeyOf(request: ValidatedEnqueueRequest): string {
  const fields = Object.entries(storableRequest(request))
    .filter(
      ([name, value]) => !NOT_PART_OF_THE_KEY.has(name) && value !== undefined && value !== null,
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export async function enqueueJob(
  ctx: ManagerContext,
  request: EnqueueRequest,
): Promise<EnqueueResult> {
  const validated = validateEnqueueRequest(request);
  const resolver = resolverFor(ctx, validated.url);
  try {
    resolver.checkInput?.(validated);
  } catch (error) {
    throw toModeldockError(error);
  }
  const requestKey = requestKeyOf(validated);

  return ctx.destinationLocks.withLocks([`request:${requestKey}`], async () => {
    const attachedTo = await ctx.store.findActiveJobByRequestKey(requestKey);
    if (attachedTo) {
      logJobStatus(ctx.logger, attachedTo, 'request attached to the job already downloading it');
      return { jobId: attachedTo.id, attached: true };
    }
    // Taken by this worker at once when it is taking work; otherwise the next claim runs the step.
    const startHere = ctx.canStartPreparation();
    const now = ctx.now();
    const job = await ctx.store.createJob(
      {
        source: redactUrl(validated.url),
        kind: resolver.kind,
        priority: validated.priority,
        bandwidthLimitBps: validated.bandwidthLimitBps,
        onFileFailure: validated.onFileFailure,
        status: startHere ? 'running' : 'queued',
        node: validated.node ?? null,
        files: [],
        phase: RESOLVING,
        request: storableRequest(validated),
        requestKey,
        lease: startHere
          ? { owner: ctx.workerId, expiresAt: new Date(now.getTime() + ctx.config.leaseMs) }
          : null,
      },
      now,
    );
    // The real link (it may carry a token) stays in memory only; the stored one is redacted.
    ctx.pendingRequests.set(job.id, validated);
    try {
      await ctx.events.record('created', job);
    } catch (error) {
      // An enqueue that answers an error has created nothing: the half-made job goes too.
      ctx.pendingRequests.delete(job.id);
      await ctx.store
        .deleteJobs([job.id])
        .catch((cleanupError: unknown) =>
          ctx.logger.warn(
            { jobId: job.id, err: cleanupError },
            'Could not remove a job whose enqueue failed',
          ),
        );
      throw error;
    }
    logJobStatus(ctx.logger, job, 'job queued', { priority: job.priority });
    if (startHere) ctx.startPreparation(job);
    else ctx.wakeScheduler();
    return { jobId: job.id, attached: false };
  });
}
