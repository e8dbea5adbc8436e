/** Follows one job to its end with the renderer that suits where the output goes. */
import type { Job } from '@modeldock/client';
import type { CommandContext } from '../command-context';
import { barRenderer, jsonLinesRenderer, lineRenderer } from '../watch/renderers';
import type { JobRenderer } from '../watch/renderers';
import { watchJobs } from '../watch/watch-jobs';

/** Bars on a terminal, a line per event when piped, JSON lines for --json (`watch`) or nothing (`add --json`). */
export function rendererFor(context: CommandContext, jsonLines: boolean): JobRenderer {
  const write = (text: string) => process.stdout.write(`${text}\n`);
  if (context.json)
    return jsonLines
      ? jsonLinesRenderer(write)
      : { event: () => undefined, message: () => undefined, stop: () => undefined };
  if (process.stdout.isTTY) return barRenderer(process.stdout);
  return lineRenderer(write);
}

/** Ctrl-C stops following (the download goes on) and says how to pick it up again. */
function stopOnInterrupt(controller: AbortController): () => void {
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

export async function followJob(context: CommandContext, jobId: string): Promise<Job | null> {
  const renderer = rendererFor(context, false);
  const controller = new AbortController();
  const release = stopOnInterrupt(controller);
  try {
    const job = await watchJobs(context.client(), { jobId, renderer, signal: controller.signal });
    renderer.stop();
    if (controller.signal.aborted) {
      context.note(
        `Stopped following job ${jobId}; it goes on. Follow it again with: modeldock watch ${jobId}`,
      );
    } else if (job) {
      reportOutcome(context, job);
    }
    return job;
  } finally {
    renderer.stop();
    release();
  }
}

/** `Done: …` on stdout for `add --wait`; on stderr for `watch`, whose stdout holds only events. */
export function reportOutcome(context: CommandContext, job: Job, doneOnStdout = true): void {
  if (job.status === 'completed') {
    const done = `Done: ${job.files.map((file) => file.relativePath).join(', ')}`;
    if (doneOnStdout) context.say(done);
    else context.note(done);
  } else if (job.status === 'cancelled') {
    context.note(`Job ${job.id} was cancelled.`);
  } else if (job.error) {
    if (!context.json)
      context.note(`modeldock: job ${job.id} failed: ${job.error.message} [${job.error.code}]`);
  }
}
