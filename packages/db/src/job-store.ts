/**
 * The engine's JobStore over SQL, written once for PGlite and PostgreSQL (see ./database.ts).
 * Each method does what its doc comment in packages/engine/src/ports.ts says; the notes here are
 * only about how.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, max, min, ne, or, sql } from 'drizzle-orm';
import { ACTIVE_STATUSES, FINISHED_STATUSES, ModeldockError } from '@modeldock/engine';
import type {
  FilePatch,
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
import { applyFileUpdates } from './batched-file-updates';
import type { Database } from './database';
import { withDatabaseErrors } from './database-errors';
import { decodeJobCursor, encodeJobCursor } from './job-cursor';
import { filePatchColumns, jobPatchColumns, toJobRecord, toStoredJobEvent } from './job-rows';
import { jobEvents, jobFiles, jobs } from './schema';
import type { JobFileRow, JobRow } from './schema';
import { createTimeOrderedId } from './time-ordered-id';

const LEASED_STATUSES: JobStatus[] = ['running', 'verifying'];
const ACTIVE: JobStatus[] = [...ACTIVE_STATUSES];
const FINISHED: JobStatus[] = [...FINISHED_STATUSES];
const DEFAULT_EVENT_PAGE = 1000;
/** Keeps `IN (…)` lists far below PostgreSQL's 65 535 bind parameters. */
const ID_CHUNK = 1000;

export interface SqlJobStoreOptions {
  /** Told about every stored event once it is committed (to fan it out to watchers). */
  onEventAppended?: (event: StoredJobEvent) => Promise<void>;
}

function chunks<T>(values: T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < values.length; start += ID_CHUNK)
    result.push(values.slice(start, start + ID_CHUNK));
  return result;
}

function parseEventId(value: string, what: string): bigint {
  const text = value.trim();
  if (!/^\d{1,19}$/.test(text)) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `${what} "${value.slice(0, 40)}" is not an event id: expected a whole number such as "42".`,
    );
  }
  return BigInt(text);
}

function checkLimit(limit: number, what: string): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `${what} must be a whole number of at least 1 (got ${limit}).`,
    );
  }
}

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Inserts a job's files in index order; a present or reused file comes with its bytes and hash. */
async function insertFiles(
  tx: Transaction,
  jobId: string,
  files: NewFile[],
  now: Date,
): Promise<JobFileRow[]> {
  if (files.length === 0) return [];
  return tx
    .insert(jobFiles)
    .values(
      files.map((file, index) => ({
        id: createTimeOrderedId(now.getTime()),
        jobId,
        index,
        url: file.url,
        name: file.name,
        relativePath: file.relativePath,
        bytesDone: file.bytesDone ?? 0,
        bytesTotal: file.bytesTotal,
        expectedSha256: file.expectedSha256,
        sha256: file.sha256 ?? null,
        credential: file.credential,
        revision: file.revision,
        status: file.status ?? 'queued',
        updatedAt: now,
      })),
    )
    .returning();
}

export class SqlJobStore implements JobStore {
  constructor(
    private readonly db: Database,
    private readonly options: SqlJobStoreOptions = {},
  ) {}

  async createJob(job: NewJob, now: Date): Promise<JobRecord> {
    return withDatabaseErrors('recording a new download', async () => {
      const status = job.status ?? 'queued';
      const jobId = createTimeOrderedId(now.getTime());
      return this.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(jobs)
          .values({
            id: jobId,
            status,
            source: job.source,
            kind: job.kind,
            priority: job.priority,
            bandwidthLimitBps: job.bandwidthLimitBps ?? null,
            onFileFailure: job.onFileFailure ?? 'keep',
            node: job.node ?? null,
            phase: job.phase ?? null,
            request: job.request ?? null,
            requestKey: job.requestKey ?? null,
            leaseOwner: job.lease?.owner ?? null,
            leaseExpiresAt: job.lease?.expiresAt ?? null,
            createdAt: now,
            updatedAt: now,
            // A job created already finished (every file present) has finished now.
            finishedAt: FINISHED.includes(status) ? now : null,
          })
          .returning();
        const fileRows = await insertFiles(tx, jobId, job.files, now);
        return toJobRecord(row!, fileRows);
      });
    });
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    return withDatabaseErrors('reading a download', async () => {
      const [row] = await this.db.select().from(jobs).where(eq(jobs.id, jobId));
      return row ? toJobRecord(row, await this.filesOf([row.id])) : null;
    });
  }

  async listJobs(query: ListJobsQuery): Promise<JobPage> {
    return withDatabaseErrors('listing downloads', async () => {
      checkLimit(query.limit, 'The page size');
      const conditions = [];
      if (query.statuses && query.statuses.length > 0)
        conditions.push(inArray(jobs.status, query.statuses));
      if (query.cursor) {
        const after = decodeJobCursor(query.cursor);
        conditions.push(
          or(
            lt(jobs.createdAt, after.createdAt),
            and(eq(jobs.createdAt, after.createdAt), lt(jobs.id, after.id)),
          ),
        );
      }
      const rows = await this.db
        .select()
        .from(jobs)
        .where(and(...conditions))
        .orderBy(desc(jobs.createdAt), desc(jobs.id))
        .limit(query.limit + 1);
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        items: await this.withFiles(page),
        nextCursor:
          rows.length > query.limit && last
            ? encodeJobCursor({ createdAt: last.createdAt, id: last.id })
            : null,
      };
    });
  }

  async findActiveJobByDestination(relativePaths: string[]): Promise<JobRecord | null> {
    return withDatabaseErrors('looking for a download writing the same files', async () => {
      if (relativePaths.length === 0) return null;
      let oldest: { id: string; createdAt: Date } | undefined;
      for (const paths of chunks([...new Set(relativePaths)])) {
        const [match] = await this.db
          .select({ id: jobs.id, createdAt: jobs.createdAt })
          .from(jobs)
          .innerJoin(jobFiles, eq(jobFiles.jobId, jobs.id))
          .where(and(inArray(jobFiles.relativePath, paths), inArray(jobs.status, ACTIVE)))
          .orderBy(asc(jobs.createdAt), asc(jobs.id))
          .limit(1);
        if (match && (!oldest || match.createdAt < oldest.createdAt)) oldest = match;
      }
      return oldest ? this.getJob(oldest.id) : null;
    });
  }

  async findActiveJobByRequestKey(requestKey: string): Promise<JobRecord | null> {
    return withDatabaseErrors('looking for a download of the same request', async () => {
      const [match] = await this.db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.requestKey, requestKey), inArray(jobs.status, ACTIVE)))
        .orderBy(asc(jobs.createdAt), asc(jobs.id))
        .limit(1);
      return match ? this.getJob(match.id) : null;
    });
  }

  async addPreparedFiles(
    jobId: string,
    files: NewFile[],
    patch: JobPatch,
    now: Date,
    ownerId: string,
  ): Promise<JobRecord | null> {
    return withDatabaseErrors('recording the files of a download', async () => {
      return this.db.transaction(async (tx) => {
        const [row] = await tx
          .update(jobs)
          .set(jobPatchColumns(patch, now))
          .where(and(eq(jobs.id, jobId), eq(jobs.leaseOwner, ownerId)))
          .returning();
        if (!row) return null;
        await tx.delete(jobFiles).where(eq(jobFiles.jobId, jobId));
        return toJobRecord(row, await insertFiles(tx, jobId, files, now));
      });
    });
  }

  async claimNextJob(
    workerId: string,
    leaseMs: number,
    now: Date,
    nodeName?: string,
  ): Promise<JobRecord | null> {
    return withDatabaseErrors('taking the next download from the queue', async () => {
      return this.db.transaction(async (tx) => {
        // SKIP LOCKED: concurrent claimers on PostgreSQL each take a different job instead of waiting.
        const [candidate] = await tx
          .select({ id: jobs.id, status: jobs.status })
          .from(jobs)
          .where(
            and(
              or(
                eq(jobs.status, 'queued'),
                and(
                  inArray(jobs.status, LEASED_STATUSES),
                  or(isNull(jobs.leaseExpiresAt), lte(jobs.leaseExpiresAt, now)),
                ),
              ),
              // A job for a node is only ever taken by a worker of that name.
              nodeName === undefined
                ? isNull(jobs.node)
                : or(isNull(jobs.node), eq(jobs.node, nodeName)),
            ),
          )
          .orderBy(desc(jobs.priority), asc(jobs.queueOrder))
          .limit(1)
          .for('update', { skipLocked: true });
        if (!candidate) return null;
        const [row] = await tx
          .update(jobs)
          .set({
            status: candidate.status === 'verifying' ? 'verifying' : 'running',
            leaseOwner: workerId,
            leaseExpiresAt: new Date(now.getTime() + leaseMs),
            updatedAt: now,
          })
          .where(eq(jobs.id, candidate.id))
          .returning();
        const files = await tx.select().from(jobFiles).where(eq(jobFiles.jobId, candidate.id));
        return toJobRecord(row!, files);
      });
    });
  }

  async renewLease(
    jobId: string,
    workerId: string,
    leaseMs: number,
    now: Date,
  ): Promise<LeaseOutcome> {
    return withDatabaseErrors('renewing the lease on a download', async () => {
      const renewed = await this.db
        .update(jobs)
        .set({ leaseExpiresAt: new Date(now.getTime() + leaseMs) })
        .where(
          and(
            eq(jobs.id, jobId),
            eq(jobs.leaseOwner, workerId),
            inArray(jobs.status, LEASED_STATUSES),
          ),
        )
        .returning({ id: jobs.id });
      if (renewed.length > 0) return { kind: 'held' };
      const [current] = await this.db
        .select({ status: jobs.status })
        .from(jobs)
        .where(eq(jobs.id, jobId));
      return { kind: 'lost', status: current?.status ?? null };
    });
  }

  async updateJob(
    jobId: string,
    patch: JobPatch,
    now: Date,
    ownerId?: string,
  ): Promise<JobRecord | null> {
    return withDatabaseErrors('updating a download', async () => {
      const row = await this.updateJobRow(jobId, patch, now, ownerId);
      return row ? toJobRecord(row, await this.filesOf([row.id])) : null;
    });
  }

  async updateJobWithoutFiles(
    jobId: string,
    patch: JobPatch,
    now: Date,
    ownerId?: string,
  ): Promise<Omit<JobRecord, 'files'> | null> {
    return withDatabaseErrors('updating a download', async () => {
      const row = await this.updateJobRow(jobId, patch, now, ownerId);
      if (!row) return null;
      const { files: _notRead, ...job } = toJobRecord(row, []);
      return job;
    });
  }

  async updateFile(fileId: string, patch: FilePatch, now: Date): Promise<void> {
    return withDatabaseErrors('recording the progress of a file', async () => {
      await this.db
        .update(jobFiles)
        .set(filePatchColumns(patch, now))
        .where(eq(jobFiles.id, fileId));
    });
  }

  async updateFiles(updates: FileUpdate[], now: Date): Promise<void> {
    if (updates.length === 0) return;
    return withDatabaseErrors('recording the progress of files', async () => {
      await applyFileUpdates(this.db, updates, now);
    });
  }

  async deleteJobs(jobIds: string[], onlyStatuses?: readonly JobStatus[]): Promise<number> {
    return withDatabaseErrors('removing downloads', async () => {
      let removed = 0;
      // Files go with their job (ON DELETE CASCADE); events stay, so a 'removed' event can be replayed.
      for (const ids of chunks([...new Set(jobIds)])) {
        const rows = await this.db
          .delete(jobs)
          .where(
            and(
              inArray(jobs.id, ids),
              onlyStatuses === undefined ? undefined : inArray(jobs.status, [...onlyStatuses]),
            ),
          )
          .returning({ id: jobs.id });
        removed += rows.length;
      }
      return removed;
    });
  }

  async pruneJobEvents(removedBefore: Date): Promise<number> {
    return withDatabaseErrors('pruning stored job events', async () => {
      const rows = await this.db
        .delete(jobEvents)
        .where(
          and(
            sql`not exists (select 1 from ${jobs} where ${jobs.id} = ${jobEvents.jobId})`,
            or(ne(jobEvents.type, 'removed'), sql`${jobEvents.createdAt} < ${removedBefore.toISOString()}::timestamptz`),
          ),
        )
        .returning({ id: jobEvents.id });
      return rows.length;
    });
  }

  async listFinishedJobIds(before?: Date): Promise<string[]> {
    return withDatabaseErrors('listing finished downloads', async () => {
      // A finished job without finishedAt (written by an older version) counts from its last update.
      const finishedAt = sql`coalesce(${jobs.finishedAt}, ${jobs.updatedAt})`;
      const rows = await this.db
        .select({ id: jobs.id })
        .from(jobs)
        .where(
          and(
            inArray(jobs.status, FINISHED),
            before ? sql`${finishedAt} < ${before.toISOString()}::timestamptz` : undefined,
          ),
        )
        .orderBy(asc(finishedAt), asc(jobs.id));
      return rows.map((row) => row.id);
    });
  }

  async listActiveJobs(): Promise<JobRecord[]> {
    return withDatabaseErrors('listing active downloads', async () => {
      const rows = await this.db
        .select()
        .from(jobs)
        .where(inArray(jobs.status, ACTIVE))
        .orderBy(asc(jobs.createdAt), asc(jobs.id));
      return this.withFiles(rows);
    });
  }

  async minQueueOrder(): Promise<number> {
    return withDatabaseErrors('reading the queue order', async () => {
      const [row] = await this.db.select({ value: min(jobs.queueOrder) }).from(jobs);
      return row?.value ?? 0;
    });
  }

  async appendEvent(
    jobId: string,
    type: JobEventType,
    job: JobSummary | null,
    now: Date,
  ): Promise<StoredJobEvent> {
    return withDatabaseErrors('recording a download event', async () => {
      const [row] = await this.db
        .insert(jobEvents)
        .values({ jobId, type, job, createdAt: now })
        .returning();
      const event = toStoredJobEvent(row!);
      await this.options.onEventAppended?.(event);
      return event;
    });
  }

  async listEventsAfter(
    afterId: string,
    jobId?: string,
    limit: number = DEFAULT_EVENT_PAGE,
  ): Promise<StoredJobEvent[]> {
    return withDatabaseErrors('reading download events', async () => {
      const after = parseEventId(afterId, 'The last event id');
      checkLimit(limit, 'The event page size');
      const rows = await this.db
        .select()
        .from(jobEvents)
        .where(
          and(
            gt(jobEvents.id, after),
            jobId === undefined ? undefined : eq(jobEvents.jobId, jobId),
          ),
        )
        .orderBy(asc(jobEvents.id))
        .limit(limit);
      return rows.map(toStoredJobEvent);
    });
  }

  async latestEventId(): Promise<string> {
    return withDatabaseErrors('reading the latest download event', async () => {
      const [row] = await this.db.select({ value: max(jobEvents.id) }).from(jobEvents);
      return (row?.value ?? 0n).toString();
    });
  }

  /** One stored event by id (not part of JobStore: used to forward notifications). */
  async getEvent(eventId: string): Promise<StoredJobEvent | null> {
    return withDatabaseErrors('reading a download event', async () => {
      const [row] = await this.db
        .select()
        .from(jobEvents)
        .where(eq(jobEvents.id, parseEventId(eventId, 'The event id')));
      return row ? toStoredJobEvent(row) : null;
    });
  }

  /** The guarded update both updateJob variants share; the row when it matched. */
  private async updateJobRow(
    jobId: string,
    patch: JobPatch,
    now: Date,
    ownerId: string | undefined,
  ): Promise<JobRow | undefined> {
    const where =
      ownerId === undefined
        ? eq(jobs.id, jobId)
        : and(eq(jobs.id, jobId), eq(jobs.leaseOwner, ownerId));
    const [row] = await this.db
      .update(jobs)
      .set(jobPatchColumns(patch, now))
      .where(where)
      .returning();
    return row;
  }

  private async filesOf(jobIds: string[]): Promise<JobFileRow[]> {
    const rows: JobFileRow[] = [];
    for (const ids of chunks(jobIds)) {
      rows.push(...(await this.db.select().from(jobFiles).where(inArray(jobFiles.jobId, ids))));
    }
    return rows;
  }

  private async withFiles(rows: JobRow[]): Promise<JobRecord[]> {
    if (rows.length === 0) return [];
    const filesByJob = new Map<string, JobFileRow[]>();
    for (const file of await this.filesOf(rows.map((row) => row.id))) {
      const list = filesByJob.get(file.jobId);
      if (list) list.push(file);
      else filesByJob.set(file.jobId, [file]);
    }
    return rows.map((row) => toJobRecord(row, filesByJob.get(row.id) ?? []));
  }
}
