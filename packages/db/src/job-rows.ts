/** Row ↔ record mapping for jobs, their files and their events. No queries here. */
import type { FilePatch, FileRecord, JobPatch, JobRecord, StoredJobEvent } from '@modeldock/engine';
import type { jobFiles, jobs, JobEventRow, JobFileRow, JobRow } from './schema';

type JobColumns = Partial<typeof jobs.$inferInsert>;
type FileColumns = Partial<typeof jobFiles.$inferInsert>;

export function toFileRecord(row: JobFileRow): FileRecord {
  return {
    id: row.id,
    jobId: row.jobId,
    index: row.index,
    url: row.url,
    name: row.name,
    relativePath: row.relativePath,
    bytesDone: row.bytesDone,
    bytesTotal: row.bytesTotal,
    expectedSha256: row.expectedSha256,
    sha256: row.sha256,
    status: row.status,
    validator: row.validator,
    segments: row.segments,
    credential: row.credential,
    format: row.format,
    revision: row.revision,
    error: row.error,
  };
}

/** `files` are this job's rows, in any order: they are put in index order. */
export function toJobRecord(row: JobRow, files: JobFileRow[]): JobRecord {
  return {
    id: row.id,
    status: row.status,
    source: row.source,
    kind: row.kind,
    priority: row.priority,
    queueOrder: row.queueOrder,
    files: [...files].sort((a, b) => a.index - b.index).map(toFileRecord),
    error: row.error,
    stalled: row.stalled,
    bandwidthLimitBps: row.bandwidthLimitBps,
    speedBps: row.speedBps,
    attempts: row.attempts,
    onFileFailure: row.onFileFailure,
    warnings: row.warnings,
    node: row.node,
    phase: row.phase,
    request: row.request,
    requestKey: row.requestKey,
    leaseOwner: row.leaseOwner,
    leaseExpiresAt: row.leaseExpiresAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export function toStoredJobEvent(row: JobEventRow): StoredJobEvent {
  return {
    id: row.id.toString(),
    jobId: row.jobId,
    type: row.type,
    job: row.job,
    createdAt: row.createdAt,
  };
}

/** Columns a patch sets: `undefined` leaves a field alone, `null` clears it. */
export function jobPatchColumns(patch: JobPatch, now: Date): JobColumns {
  const columns: JobColumns = { updatedAt: now };
  if (patch.status !== undefined) columns.status = patch.status;
  if (patch.priority !== undefined) columns.priority = patch.priority;
  if (patch.queueOrder !== undefined) columns.queueOrder = patch.queueOrder;
  if (patch.error !== undefined) columns.error = patch.error;
  if (patch.stalled !== undefined) columns.stalled = patch.stalled;
  if (patch.bandwidthLimitBps !== undefined) columns.bandwidthLimitBps = patch.bandwidthLimitBps;
  if (patch.speedBps !== undefined) columns.speedBps = patch.speedBps;
  if (patch.attempts !== undefined) columns.attempts = patch.attempts;
  if (patch.warnings !== undefined) columns.warnings = patch.warnings;
  if (patch.startedAt !== undefined) columns.startedAt = patch.startedAt;
  if (patch.finishedAt !== undefined) columns.finishedAt = patch.finishedAt;
  if (patch.phase !== undefined) columns.phase = patch.phase;
  if (patch.source !== undefined) columns.source = patch.source;
  if (patch.kind !== undefined) columns.kind = patch.kind;
  if (patch.request !== undefined) columns.request = patch.request;
  if (patch.releaseLease) {
    columns.leaseOwner = null;
    columns.leaseExpiresAt = null;
  }
  return columns;
}

export function filePatchColumns(patch: FilePatch, now: Date): FileColumns {
  const columns: FileColumns = { updatedAt: now };
  if (patch.status !== undefined) columns.status = patch.status;
  if (patch.bytesDone !== undefined) columns.bytesDone = patch.bytesDone;
  if (patch.bytesTotal !== undefined) columns.bytesTotal = patch.bytesTotal;
  if (patch.sha256 !== undefined) columns.sha256 = patch.sha256;
  if (patch.expectedSha256 !== undefined) columns.expectedSha256 = patch.expectedSha256;
  if (patch.validator !== undefined) columns.validator = patch.validator;
  if (patch.segments !== undefined) columns.segments = patch.segments;
  if (patch.format !== undefined) columns.format = patch.format;
  if (patch.error !== undefined) columns.error = patch.error;
  if (patch.url !== undefined) columns.url = patch.url;
  if (patch.revision !== undefined) columns.revision = patch.revision;
  return columns;
}
