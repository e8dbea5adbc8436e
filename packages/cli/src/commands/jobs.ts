/** `modeldock ls`, `watch [jobId]` and `pause|resume|cancel|retry <jobId>`. */
import type { Command } from 'commander';
import type { Job, JobStatus } from '@modeldock/client';
import { runAction } from '../command-context';
import type { CommandContext } from '../command-context';
import { EXIT } from '../exit-codes';
import type { ExitCode } from '../exit-codes';
import { describeStatus, formatBytes, percentOf, table } from '../format';
import { choiceList, integerOption } from '../option-parsers';
import { watchJobs } from '../watch/watch-jobs';
import { reportOutcome, rendererFor } from './follow-job';

const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'running',
  'paused',
  'verifying',
  'completed',
  'failed',
  'cancelled',
];
const ACTIVE: JobStatus[] = ['queued', 'running', 'paused', 'verifying'];

interface ListOptions {
  status?: JobStatus[];
  active?: boolean;
  limit?: number;
}

function jobRow(job: Job): string[] {
  const what =
    job.files.length === 1
      ? job.files[0]!.relativePath
      : `${job.files.length} files: ${job.source}`;
  return [
    job.id,
    describeStatus(job),
    percentOf(job.bytesDone, job.bytesTotal).trim(),
    `${formatBytes(job.bytesDone)}/${formatBytes(job.bytesTotal)}`,
    job.error ? `${what}  ${job.error.message} [${job.error.code}]` : what,
  ];
}

async function listJobs(context: CommandContext, options: ListOptions): Promise<ExitCode> {
  const status = options.active ? [...ACTIVE, ...(options.status ?? [])] : options.status;
  const list = await context.client().downloads.list.query({
    ...(status?.length ? { status: [...new Set(status)] } : {}),
    limit: options.limit ?? 100,
  });
  if (context.json) {
    context.printJson(list);
    return EXIT.ok;
  }
  if (list.items.length === 0) {
    context.say(status?.length ? `No ${status.join('/')} jobs.` : 'No jobs.');
    return EXIT.ok;
  }
  context.say(table([['JOB', 'STATUS', '%', 'BYTES', 'FILES'], ...list.items.map(jobRow)]));
  if (list.nextCursor) context.note(`(more jobs: raise --limit)`);
  return EXIT.ok;
}

async function watch(context: CommandContext, jobId: string | undefined): Promise<ExitCode> {
  const renderer = rendererFor(context, true);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const job = await watchJobs(context.client(), {
      ...(jobId ? { jobId } : {}),
      renderer,
      signal: controller.signal,
    });
    renderer.stop();
    if (!jobId || controller.signal.aborted) return EXIT.ok;
    if (!job) {
      context.note(`Job ${jobId} was removed.`);
      return EXIT.failed;
    }
    if (!context.json) reportOutcome(context, job, false);
    return job.status === 'completed' ? EXIT.ok : EXIT.failed;
  } finally {
    renderer.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

type Control = 'pause' | 'resume' | 'cancel' | 'retry';

const CONTROL_HELP: Record<Control, string> = {
  pause: 'Pause a job (its partial files are kept)',
  resume: 'Resume a paused job',
  cancel: 'Cancel a job (removes its partial files; completed files stay)',
  retry: 'Put a failed or cancelled job back in the queue',
};

function control(kind: Control) {
  return async (context: CommandContext, jobId: string): Promise<ExitCode> => {
    const job = await context.client().downloads[kind].mutate({ jobId });
    if (context.json) context.printJson(job);
    else context.say(`${job.id}: ${describeStatus(job)}`);
    return EXIT.ok;
  };
}

export function registerJobCommands(program: Command): void {
  program
    .command('ls')
    .description('List download jobs, newest first')
    .option(
      '-s, --status <statuses>',
      `only these statuses, comma-separated (${JOB_STATUSES.join(', ')})`,
      choiceList('--status', JOB_STATUSES),
    )
    .option('-a, --active', 'only queued, running, paused and verifying jobs')
    .option(
      '-n, --limit <n>',
      'at most this many jobs (default 100, up to 500)',
      integerOption('--limit'),
    )
    .action(runAction(listJobs));

  program
    .command('watch')
    .description(
      'Follow progress live: one job until it finishes (exit 0 done, 1 failed), or every job until Ctrl-C',
    )
    .argument('[jobId]', 'the job to follow (default: every job)')
    .addHelpText(
      'after',
      '\nOn a terminal each job (and each file of a multi-file job) gets a bar with speed and ETA;\npiped, one line per event; with --json, one JSON object per event (JSON lines).',
    )
    .action(runAction(watch));

  for (const kind of ['pause', 'resume', 'cancel', 'retry'] as const) {
    program
      .command(kind)
      .description(CONTROL_HELP[kind])
      .argument('<jobId>', 'the job (see modeldock ls)')
      .action(runAction(control(kind)));
  }
}
