/**
 * A faithful in-memory JobStore: the semantics the SQL store has (claim order, leases,
 * ownerId-guarded updates, monotonic decimal event ids, cursor pagination), without a database, so
 * engine tests run in milliseconds. Every method is atomic (no await inside) like a transaction, and
 * returns copies so callers cannot change stored state by mutating results.
 */
import { randomUUID } from 'node:crypto';
import { ACTIVE_STATUSES, FINISHED_STATUSES, ModeldockError } from '@modeldock/engine';
import type {
  FilePatch,
  FileRecord,
  FileUpdate,
  JobEventType,
  JobPage,
  JobPatch,
  JobRecord,
  JobStatus,
  JobStore,
  JobSummary,
  LeaseOutcome,
  ListJobsQuery,
  NewFile,
  NewJob,
  StoredJobEvent,
} from '@modeldock/engine';

interface StoredJob {
  record: JobRecord;
  /** Order of creation: listJobs pages newest first by it. */
  sequence: number;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

function encodeCursor(sequence: number): string {
  return Buffer.from(JSON.stringify({ s: sequence })).toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown };
    if (typeof parsed.s === 'number' && Number.isSafeInteger(parsed.s)) return parsed.s;
  } catch {
    // fall through
  }
  throw new ModeldockError(
    'INVALID_INPUT',
    'This page cursor is not one the job list gave out; reload the list from the start',
  );
}

export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, StoredJob>();
  private readonly fileOwners = new Map<string, string>();
  private events: StoredJobEvent[] = [];
  private nextEventId = 1n;
  private nextQueueOrder = 1;
  private nextSequence = 1;

  async createJob(job: NewJob, now: Date): Promise<JobRecord> {
    const id = randomUUID();
    const status = job.status ?? 'queued';
    const record: JobRecord = {
      id,
      status,
      source: job.source,
      kind: job.kind,
      priority: job.priority,
      queueOrder: this.nextQueueOrder++,
      files: this.newFiles(id, job.files),
      error: null,
      stalled: null,
      bandwidthLimitBps: job.bandwidthLimitBps ?? null,
      speedBps: 0,
      attempts: 0,
      onFileFailure: job.onFileFailure ?? 'keep',
      warnings: [],
      node: job.node ?? null,
      phase: copy(job.phase ?? null),
      request: copy(job.request ?? null),
      requestKey: job.requestKey ?? null,
      leaseOwner: job.lease?.owner ?? null,
      leaseExpiresAt: job.lease ? new Date(job.lease.expiresAt) : null,
      createdAt: new Date(now),
      updatedAt: new Date(now),
      startedAt: null,
      finishedAt: FINISHED_STATUSES.includes(status) ? new Date(now) : null,
    };
    this.jobs.set(id, { record, sequence: this.nextSequence++ });
    return copy(record);
  }

  private newFiles(jobId: string, files: NewFile[]): FileRecord[] {
    return files.map((file, index): FileRecord => {
      const fileId = randomUUID();
      this.fileOwners.set(fileId, jobId);
      return {
        id: fileId,
        jobId,
        index,
        url: file.url,
        name: file.name,
        relativePath: file.relativePath,
        bytesDone: file.bytesDone ?? 0,
        bytesTotal: file.bytesTotal,
        expectedSha256: file.expectedSha256,
        sha256: file.sha256 ?? null,
        status: file.status ?? 'queued',
        validator: null,
        segments: null,
        credential: file.credential,
        format: null,
        revision: file.revision,
        error: null,
      };
    });
  }

  async findActiveJobByRequestKey(requestKey: string): Promise<JobRecord | null> {
    const match = [...this.jobs.values()]
      .filter(
        (stored) =>
          ACTIVE_STATUSES.includes(stored.record.status) && stored.record.requestKey === requestKey,
      )
      .sort((a, b) => a.sequence - b.sequence)[0];
    return match ? copy(match.record) : null;
  }

  async addPreparedFiles(
    jobId: string,
    files: NewFile[],
    patch: JobPatch,
    now: Date,
    ownerId: string,
  ): Promise<JobRecord | null> {
    const job = this.jobs.get(jobId)?.record;
    if (!job || job.leaseOwner !== ownerId) return null;
    for (const file of job.files) this.fileOwners.delete(file.id);
    job.files = this.newFiles(jobId, files);
    applyPatch(job, patch, now);
    return copy(job);
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const stored = this.jobs.get(jobId);
    return stored ? copy(stored.record) : null;
  }

  async listJobs(query: ListJobsQuery): Promise<JobPage> {
    const before = query.cursor ? decodeCursor(query.cursor) : Number.POSITIVE_INFINITY;
    const matching = [...this.jobs.values()]
      .filter((stored) => stored.sequence < before)
      .filter(
        (stored) =>
          !query.statuses ||
          query.statuses.length === 0 ||
          query.statuses.includes(stored.record.status),
      )
      .sort((a, b) => b.sequence - a.sequence);
    const page = matching.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((stored) => copy(stored.record)),
      nextCursor: matching.length > query.limit && last ? encodeCursor(last.sequence) : null,
    };
  }

  async findActiveJobByDestination(relativePaths: string[]): Promise<JobRecord | null> {
    const wanted = new Set(relativePaths);
    const matches = [...this.jobs.values()]
      .filter((stored) => ACTIVE_STATUSES.includes(stored.record.status))
      .filter((stored) => stored.record.files.some((file) => wanted.has(file.relativePath)))
      .sort((a, b) => a.sequence - b.sequence);
    return matches[0] ? copy(matches[0].record) : null;
  }

  async claimNextJob(
    workerId: string,
    leaseMs: number,
    now: Date,
    nodeName?: string,
  ): Promise<JobRecord | null> {
    const candidates = [...this.jobs.values()]
      .map((stored) => stored.record)
      .filter((job) => job.status === 'queued' || (isLeased(job.status) && leaseExpired(job, now)))
      .filter((job) => job.node === null || job.node === nodeName)
      .sort((a, b) => b.priority - a.priority || a.queueOrder - b.queueOrder);
    const job = candidates[0];
    if (!job) return null;
    if (job.status !== 'verifying') job.status = 'running';
    job.leaseOwner = workerId;
    job.leaseExpiresAt = new Date(now.getTime() + leaseMs);
    job.updatedAt = new Date(now);
    return copy(job);
  }

  async renewLease(
    jobId: string,
    workerId: string,
    leaseMs: number,
    now: Date,
  ): Promise<LeaseOutcome> {
    const job = this.jobs.get(jobId)?.record;
    if (!job) return { kind: 'lost', status: null };
    if (job.leaseOwner !== workerId || !isLeased(job.status))
      return { kind: 'lost', status: job.status };
    job.leaseExpiresAt = new Date(now.getTime() + leaseMs);
    return { kind: 'held' };
  }

  async updateJob(
    jobId: string,
    patch: JobPatch,
    now: Date,
    ownerId?: string,
  ): Promise<JobRecord | null> {
    const job = this.jobs.get(jobId)?.record;
    if (!job) return null;
    if (ownerId !== undefined && job.leaseOwner !== ownerId) return null;
    applyPatch(job, patch, now);
    return copy(job);
  }

  async updateFile(fileId: string, patch: FilePatch, now: Date): Promise<void> {
    const jobId = this.fileOwners.get(fileId);
    const job = jobId ? this.jobs.get(jobId)?.record : undefined;
    const file = job?.files.find((candidate) => candidate.id === fileId);
    if (!job || !file) return;
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) (file as unknown as Record<string, unknown>)[key] = copy(value);
    }
    void now;
  }

  async updateFiles(updates: FileUpdate[], now: Date): Promise<void> {
    for (const { fileId, patch } of updates) await this.updateFile(fileId, patch, now);
  }

  async updateJobWithoutFiles(
    jobId: string,
    patch: JobPatch,
    now: Date,
    ownerId?: string,
  ): Promise<Omit<JobRecord, 'files'> | null> {
    const updated = await this.updateJob(jobId, patch, now, ownerId);
    if (!updated) return null;
    const { files: _files, ...job } = updated;
    return job;
  }

  async deleteJobs(jobIds: string[], onlyStatuses?: readonly JobStatus[]): Promise<number> {
    let removed = 0;
    for (const jobId of jobIds) {
      const stored = this.jobs.get(jobId);
      if (!stored) continue;
      if (onlyStatuses && !onlyStatuses.includes(stored.record.status)) continue;
      for (const file of stored.record.files) this.fileOwners.delete(file.id);
      this.jobs.delete(jobId);
      removed++;
    }
    return removed;
  }

  async pruneJobEvents(removedBefore: Date): Promise<number> {
    const before = this.events.length;
    this.events = this.events.filter(
      (event) => this.jobs.has(event.jobId) || (event.type === 'removed' && event.createdAt.getTime() >= removedBefore.getTime()),
    );
    return before - this.events.length;
  }

  async listFinishedJobIds(before?: Date): Promise<string[]> {
    return [...this.jobs.values()]
      .map((stored) => stored.record)
      .filter((job) => FINISHED_STATUSES.includes(job.status))
      .filter((job) => !before || (job.finishedAt ?? job.updatedAt).getTime() < before.getTime())
      .map((job) => job.id);
  }

  async listActiveJobs(): Promise<JobRecord[]> {
    return [...this.jobs.values()]
      .filter((stored) => ACTIVE_STATUSES.includes(stored.record.status))
      .sort((a, b) => a.sequence - b.sequence)
      .map((stored) => copy(stored.record));
  }

  async minQueueOrder(): Promise<number> {
    let min: number | null = null;
    for (const { record } of this.jobs.values()) {
      if (min === null || record.queueOrder < min) min = record.queueOrder;
    }
    return min ?? 0;
  }

  async appendEvent(
    jobId: string,
    type: JobEventType,
    job: JobSummary | null,
    now: Date,
  ): Promise<StoredJobEvent> {
    const event: StoredJobEvent = {
      id: String(this.nextEventId++),
      jobId,
      type,
      job: copy(job),
      createdAt: new Date(now),
    };
    this.events.push(event);
    return copy(event);
  }

  async listEventsAfter(afterId: string, jobId?: string, limit = 1000): Promise<StoredJobEvent[]> {
    const after = BigInt(afterId);
    return this.events
      .filter((event) => BigInt(event.id) > after && (!jobId || event.jobId === jobId))
      .slice(0, limit)
      .map(copy);
  }

  async latestEventId(): Promise<string> {
    return this.events.length > 0 ? this.events[this.events.length - 1]!.id : '0';
  }

  // ---- test helpers (not part of JobStore) ----

  /** Every stored event, oldest first. */
  storedEvents(): StoredJobEvent[] {
    return this.events.map(copy);
  }

  /** Ends a job's lease now, as if its worker had died long ago. */
  expireLease(jobId: string): void {
    const job = this.jobs.get(jobId)?.record;
    if (job) job.leaseExpiresAt = new Date(0);
  }

  /** Changes a job behind the manager's back, as another process would. */
  patchDirectly(jobId: string, patch: Partial<JobRecord>): void {
    const job = this.jobs.get(jobId)?.record;
    if (job) Object.assign(job, copy(patch));
  }
}

function applyPatch(job: JobRecord, patch: JobPatch, now: Date): void {
  const { releaseLease, ...fields } = patch;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (job as unknown as Record<string, unknown>)[key] = copy(value);
  }
  if (releaseLease) {
    job.leaseOwner = null;
    job.leaseExpiresAt = null;
  }
  job.updatedAt = new Date(now);
}

function isLeased(status: JobRecord['status']): boolean {
  return status === 'running' || status === 'verifying';
}

function leaseExpired(job: JobRecord, now: Date): boolean {
  return job.leaseExpiresAt === null || job.leaseExpiresAt.getTime() <= now.getTime();
}
