/**
 * The notifications modeldock raises, built from what happened: a job's terminal status event, a
 * maintenance run's report, an API key the platform refused. Everything here is redacted: sources
 * lose their query and user info, messages pass through `redactSecrets`.
 */
import { describeUrl } from '../http/http-url';
import { formatBytes } from '../jobs/human-bytes';
import type { JobEvent } from '../jobs/download-manager-api';
import type { JobSummary } from '../job-model';
import { redactSecrets } from '../secrets/redact';
import type { NotificationInput } from './notification-model';

/** A bundle's summary lists at most this many files; `fileCount` says how many there were. */
const MAX_SUMMARY_FILES = 50;

function describeSource(source: string): string {
  return /^https?:\/\//i.test(source)
    ? describeUrl(source)
    : redactSecrets(source.replace(/[?#].*$/s, ''));
}

function errorSummary(
  error: { code: string; message: string } | null,
): { code: string; message: string } | null {
  return error ? { code: error.code, message: redactSecrets(error.message) } : null;
}

/** What a webhook receives about a job: no URL query, no key, no headers. */
export function jobSubject(job: JobSummary): Record<string, unknown> {
  return {
    type: 'job',
    jobId: job.id,
    status: job.status,
    kind: job.kind,
    source: describeSource(job.source),
    node: job.node,
    bytesDone: job.bytesDone,
    bytesTotal: job.bytesTotal,
    error: errorSummary(job.error),
    fileCount: job.files.length,
    files: job.files.slice(0, MAX_SUMMARY_FILES).map((file) => ({
      name: file.name,
      relativePath: file.relativePath,
      status: file.status,
      bytesTotal: file.bytesTotal,
      sha256: file.sha256,
      error: errorSummary(file.error),
    })),
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}

function jobName(job: JobSummary): string {
  const first = job.files[0]?.name ?? describeSource(job.source);
  return job.files.length > 1 ? `${first} and ${job.files.length - 1} more` : first;
}

/**
 * The notification for a job's stored status event, or null when the event is not one: completed,
 * failed, or (a bundle where some files completed and others failed) bundle.partial.
 */
export function notificationForJobEvent(event: JobEvent): NotificationInput | null {
  const job = event.job;
  if (event.type !== 'status' || !job) return null;
  if (job.status !== 'completed' && job.status !== 'failed') return null;
  const dedupeKey = `job:${job.id}:event:${event.id}`;
  const subject = jobSubject(job);
  const failedFiles = job.files.filter((file) => file.status === 'failed').length;
  const completedFiles = job.files.filter((file) => file.status === 'completed').length;
  if (job.files.length > 1 && failedFiles > 0 && completedFiles > 0) {
    return {
      event: 'bundle.partial',
      title: `Bundle partly failed: ${failedFiles} of ${job.files.length} files`,
      message: redactSecrets(
        job.error?.message ?? `${failedFiles} of ${job.files.length} files failed`,
      ),
      subject,
      dedupeKey,
    };
  }
  if (job.status === 'failed') {
    return {
      event: 'download.failed',
      title: `Download failed: ${jobName(job)}`,
      message: redactSecrets(job.error?.message ?? 'The download failed'),
      subject,
      dedupeKey,
    };
  }
  const bytes = job.files.reduce((total, file) => total + (file.bytesTotal ?? file.bytesDone), 0);
  const where = job.files.length === 1 ? job.files[0]!.relativePath : `${job.files.length} files`;
  return {
    event: 'download.completed',
    title: `Downloaded ${jobName(job)}`,
    message: `${where} (${formatBytes(bytes)}) is ready`,
    subject,
    dedupeKey,
  };
}

/** What a maintenance run found, as the maintenance schedule reports it. */
export interface MaintenanceReport {
  /** Models with a newer version found by the update check. */
  updates: number;
  /** Previews (and their metadata) recovered for incomplete entries. */
  previewsRecovered: number;
  /** Library entries whose files are missing. */
  missing: number;
  /** The refresh task(s) behind the report, when there are. */
  taskIds?: string[];
  /** Recording the same key twice records once (e.g. `maintenance:<run id>`); a new id otherwise. */
  dedupeKey?: string;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function maintenanceNotification(
  report: MaintenanceReport,
  fallbackKey: string,
): NotificationInput {
  const parts = [
    count(report.updates, 'update', 'updates'),
    `${count(report.previewsRecovered, 'preview', 'previews')} recovered`,
    `${count(report.missing, 'model', 'models')} missing`,
  ];
  return {
    event: 'maintenance.report',
    title: 'Maintenance finished',
    message: parts.join(', '),
    subject: {
      type: 'maintenance',
      updates: report.updates,
      previewsRecovered: report.previewsRecovered,
      missing: report.missing,
      taskIds: report.taskIds ?? [],
    },
    dedupeKey: report.dedupeKey ?? fallbackKey,
  };
}

/** An API key its platform refused after it was working (or before it was ever checked). */
export interface KeyInvalidReport {
  platform: string;
  /** The platform's name as people know it ("Hugging Face"). */
  platformName: string;
  /** Why, as the check said it (never the key). */
  reason: string;
  /** One notification per refused saved version of a key. */
  dedupeKey: string;
}

export function keyInvalidNotification(report: KeyInvalidReport): NotificationInput {
  return {
    event: 'key.invalid',
    title: `${report.platformName} API key stopped working`,
    message: `${redactSecrets(report.reason)}. Add a new key in Settings → API keys.`,
    subject: { type: 'apiKey', platform: report.platform },
    dedupeKey: report.dedupeKey,
  };
}
