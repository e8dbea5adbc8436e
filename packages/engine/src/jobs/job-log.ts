/**
 * Structured log lines for job transitions and errors (the server writes them to the downloads log).
 * Every value passes through `redactSecrets`: a URL or message can carry a token.
 */
import type { JobError } from '../errors';
import type { JobRecord, JobStatus } from '../job-model';
import type { Logger } from '../ports';
import { redactSecrets } from '../secrets/redact';

type JobLike = Pick<JobRecord, 'id' | 'status' | 'kind' | 'source'>;

export function jobLogFields(job: JobLike, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    jobId: job.id,
    status: job.status,
    kind: job.kind,
    source: redactSecrets(job.source),
  };
  for (const [key, value] of Object.entries(extra)) {
    fields[key] = typeof value === 'string' ? redactSecrets(value) : value;
  }
  return fields;
}

export function logJobStatus(logger: Logger, job: JobLike, text: string, extra: Record<string, unknown> = {}): void {
  logger.info(jobLogFields(job, extra), text);
}

export function logJobError(
  logger: Logger,
  level: 'warn' | 'error',
  job: JobLike & { status: JobStatus },
  error: JobError,
  text: string,
  extra: Record<string, unknown> = {},
): void {
  const fields = jobLogFields(job, { ...extra, code: error.code, message: error.message });
  if (error.causes && error.causes.length > 0) fields.causes = error.causes.map(redactSecrets);
  if (error.httpStatus !== undefined) fields.httpStatus = error.httpStatus;
  logger[level](fields, text);
}
