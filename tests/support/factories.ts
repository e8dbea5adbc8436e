/**
 * Jobs and files for tests, in each shape the code passes them around: what a store is asked to
 * create (`newFile`, `newJob`), what it holds (`fileRecord`), and what the API sends (`jobSummary`,
 * `jobFileSummary`). Every field has a plain default; a test names only what it is about.
 */
import { allowedActions } from '@modeldock/engine';
import type { FileRecord, JobFileSummary, JobSummary, NewFile, NewJob } from '@modeldock/engine';

const CREATED_AT = '2025-01-01T00:00:00.000Z';

/** A file a store is asked to create, at `relativePath` under the models root. */
export function newFile(relativePath: string, overrides: Partial<NewFile> = {}): NewFile {
  return {
    url: `https://models.example/${relativePath}`,
    name: relativePath.split('/').pop()!,
    relativePath,
    bytesTotal: 1_000,
    expectedSha256: null,
    credential: null,
    revision: null,
    ...overrides,
  };
}

let jobCounter = 0;

/** A job of one file (or `files`) a store is asked to create; each call names a fresh file. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  jobCounter++;
  return {
    source: 'https://models.example/model.safetensors',
    kind: 'direct',
    priority: 0,
    files: [
      newFile(`checkpoints/job-${jobCounter}-${Math.random().toString(36).slice(2)}.safetensors`),
    ],
    ...overrides,
  };
}

let fileCounter = 0;

/** A stored file record being transferred from `url` (status running, nothing done yet). */
export function fileRecord(url: string, overrides: Partial<FileRecord> = {}): FileRecord {
  fileCounter++;
  const name = overrides.name ?? `model-${fileCounter}.bin.part-test`;
  return {
    id: `file${fileCounter}`,
    jobId: `job${fileCounter}`,
    index: 0,
    url,
    name,
    relativePath: overrides.relativePath ?? `checkpoints/${name}`,
    bytesDone: 0,
    bytesTotal: null,
    expectedSha256: null,
    sha256: null,
    status: 'running',
    validator: null,
    segments: null,
    credential: null,
    format: null,
    revision: null,
    error: null,
    ...overrides,
  };
}

/** A job's file as the API sends it: a completed 10-byte safetensors file under checkpoints/. */
export function jobFileSummary(
  name: string,
  overrides: Partial<JobFileSummary> = {},
): JobFileSummary {
  return {
    name,
    relativePath: `checkpoints/${name}`,
    bytesDone: 10,
    bytesTotal: 10,
    sha256: null,
    expectedSha256: null,
    status: 'completed',
    format: 'safetensors',
    error: null,
    ...overrides,
  };
}

/**
 * A job as the API sends it: queued, no files, nothing moving. Its `actions` follow its status and
 * files as the engine's would, unless given.
 */
export function jobSummary(overrides: Partial<JobSummary> = {}): JobSummary {
  const job: JobSummary = {
    id: 'job-1',
    status: 'queued',
    source: 'https://models.example/model.safetensors',
    kind: 'direct',
    priority: 0,
    queueOrder: 0,
    files: [],
    bytesDone: 0,
    bytesTotal: null,
    speedBps: 0,
    etaSeconds: null,
    error: null,
    stalled: null,
    bandwidthLimitBps: null,
    warnings: [],
    currentFileIndex: null,
    node: null,
    waitingFor: null,
    actions: [],
    phase: null,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    finishedAt: null,
    ...overrides,
  };
  if (!overrides.actions)
    job.actions = allowedActions({ status: job.status, fileCount: job.files.length });
  return job;
}
