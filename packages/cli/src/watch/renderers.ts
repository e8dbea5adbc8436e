/**
 * How job events are shown. On a terminal: one bar per job (and per file of a multi-file job),
 * redrawn in place by cli-progress, with speed and ETA from the server. Piped: one plain line per
 * event. With --json: one JSON object per event (JSON lines).
 */
import cliProgress from 'cli-progress';
import type { Job, JobEvent } from '@modeldock/client';
import { describeStatus, formatBytes, formatDuration, formatSpeed, jobLine } from '../format';

/** An event as the watcher sees it: the server's, or 'current' for the state read at the start. */
export interface WatchedEvent {
  type: JobEvent['type'] | 'current';
  jobId: string;
  job: Job | null;
  id?: string;
}

export interface JobRenderer {
  event(event: WatchedEvent): void;
  /** A message about the watch itself (reconnecting, the job finished). */
  message(text: string): void;
  stop(): void;
}

export function lineRenderer(write: (text: string) => void): JobRenderer {
  return {
    event(event) {
      const time = new Date().toISOString();
      if (!event.job) write(`${time} ${event.type.padEnd(8)} ${event.jobId}  removed`);
      else write(`${time} ${event.type.padEnd(8)} ${jobLine(event.job)}`);
    },
    message: (text) => write(text),
    stop: () => undefined,
  };
}

export function jsonLinesRenderer(write: (text: string) => void): JobRenderer {
  return {
    event: (event) => write(JSON.stringify(event)),
    message: () => undefined,
    stop: () => undefined,
  };
}

interface BarPayload {
  label: string;
  detail: string;
}

/** "name |████░░░░| 42% 1.2 GiB/3.0 GiB 25.0 MiB/s ETA 1m 10s running" */
function formatBar(
  options: cliProgress.Options,
  params: cliProgress.Params,
  payload: BarPayload,
): string {
  const bar = cliProgress.Format.BarFormat(params.progress, options);
  const percent = `${Math.floor(params.progress * 100)}%`.padStart(4);
  return `${payload.label} ${bar} ${percent} ${payload.detail}`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `…${text.slice(text.length - width + 1)}`;
}

function jobDetail(job: Job): string {
  const parts = [`${formatBytes(job.bytesDone)}/${formatBytes(job.bytesTotal)}`];
  if (job.speedBps > 0) parts.push(formatSpeed(job.speedBps));
  if (job.etaSeconds !== null) parts.push(`ETA ${formatDuration(job.etaSeconds)}`);
  parts.push(describeStatus(job));
  if (job.error) parts.push(`${job.error.message} [${job.error.code}]`);
  return parts.join('  ');
}

export function barRenderer(stream: NodeJS.WriteStream): JobRenderer {
  const multibar = new cliProgress.MultiBar(
    {
      format: formatBar as unknown as string,
      stream,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // Redraws are cheap; events already arrive at most every progress interval.
      fps: 10,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let stopped = false;
  const columns = () => Math.max(60, stream.columns ?? 100);

  const show = (key: string, label: string, done: number, total: number | null, detail: string) => {
    const payload: BarPayload = {
      label: truncate(label, Math.min(40, Math.floor(columns() / 3))),
      detail,
    };
    const size = total && total > 0 ? total : Math.max(1, done);
    const existing = bars.get(key);
    if (existing) {
      existing.setTotal(size);
      existing.update(Math.min(done, size), payload);
    } else {
      bars.set(key, multibar.create(size, Math.min(done, size), payload));
    }
  };

  return {
    event(event) {
      const job = event.job;
      if (!job) {
        multibar.log(`${event.jobId} was removed\n`);
        return;
      }
      const single = job.files.length === 1 ? job.files[0]! : null;
      show(
        job.id,
        single ? single.name : `${job.id} (${job.files.length} files)`,
        job.bytesDone,
        job.bytesTotal,
        jobDetail(job),
      );
      if (single) return;
      job.files.forEach((file, index) => {
        // Files appear once they start: a bundle of 40 files does not fill the screen with idle bars.
        if (file.status === 'queued' && !bars.has(`${job.id}/${index}`)) return;
        const speed =
          index === job.currentFileIndex && job.speedBps > 0
            ? `  ${formatSpeed(job.speedBps)}`
            : '';
        show(
          `${job.id}/${index}`,
          `  ${file.name}`,
          file.bytesDone,
          file.bytesTotal,
          `${formatBytes(file.bytesDone)}/${formatBytes(file.bytesTotal)}${speed}  ${file.status}`,
        );
      });
    },
    message: (text) => multibar.log(`${text}\n`),
    stop: () => {
      if (stopped) return;
      stopped = true;
      multibar.stop();
    },
  };
}
