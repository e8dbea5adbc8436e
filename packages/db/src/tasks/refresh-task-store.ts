/**
 * The engine's RefreshTaskStore over `refresh_tasks`. Claims use `FOR UPDATE SKIP LOCKED` like jobs,
 * so workers sharing one PostgreSQL each take a different task; every write a worker makes is
 * guarded by "still running and still mine", so a worker that lost its task (cancelled, or taken
 * over after its lease expired) changes nothing.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { MAX_TASK_ERRORS, PRIORITY_RANK, priorityOfRank } from '@modeldock/engine';
import type { RefreshTaskStore, TaskProgressPatch, TaskRecord } from '@modeldock/engine';
import type { Database } from '../database';
import { withDatabaseErrors } from '../database-errors';
import { refreshTasks } from '../schema';
import { createTimeOrderedId } from '../time-ordered-id';

type TaskRow = typeof refreshTasks.$inferSelect;

function toTaskRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    kind: row.kind,
    targets: row.targets,
    priority: priorityOfRank(row.priority),
    status: row.status,
    done: row.done,
    total: row.total,
    current: row.current,
    errors: row.errors,
    errorCount: row.errorCount,
    checkpoint: row.checkpoint ?? null,
    attempts: row.attempts,
    leaseOwner: row.leaseOwner,
    leaseExpiresAt: row.leaseExpiresAt,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    updatedAt: row.updatedAt,
  };
}

/** SET values for a progress patch; new errors appended up to MAX_TASK_ERRORS, all counted. */
function patchValues(patch: TaskProgressPatch): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (patch.done !== undefined) values.done = patch.done;
  if (patch.total !== undefined) values.total = patch.total;
  if (patch.current !== undefined) values.current = patch.current === null ? null : patch.current.slice(0, 1024);
  if (patch.checkpoint !== undefined) values.checkpoint = patch.checkpoint;
  const added = patch.newErrors ?? [];
  if (added.length > 0) {
    const json = JSON.stringify(added.slice(0, MAX_TASK_ERRORS));
    values.errors = sql`(select coalesce(jsonb_agg(e), '[]'::jsonb) from (select e from jsonb_array_elements(${refreshTasks.errors} || ${json}::jsonb) as e limit ${MAX_TASK_ERRORS}) as kept)`;
    values.errorCount = sql`${refreshTasks.errorCount} + ${added.length}`;
  }
  return values;
}

function heldBy(id: string, workerId: string): SQL {
  return and(eq(refreshTasks.id, id), eq(refreshTasks.status, 'running'), eq(refreshTasks.leaseOwner, workerId))!;
}

export function createRefreshTaskStore(db: Database): RefreshTaskStore {
  return {
    async create(task, now) {
      return withDatabaseErrors('queueing a task', async () => {
        const [row] = await db
          .insert(refreshTasks)
          .values({
            id: createTimeOrderedId(now.getTime()),
            kind: task.kind,
            targets: task.targets,
            priority: PRIORITY_RANK[task.priority],
            status: 'pending',
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        return toTaskRecord(row!);
      });
    },

    async get(id) {
      return withDatabaseErrors('reading a task', async () => {
        const [row] = await db.select().from(refreshTasks).where(eq(refreshTasks.id, id));
        return row ? toTaskRecord(row) : null;
      });
    },

    async list(query) {
      return withDatabaseErrors('listing tasks', async () => {
        const where: SQL[] = [];
        if (query.statuses) where.push(inArray(refreshTasks.status, query.statuses));
        if (query.kind) where.push(eq(refreshTasks.kind, query.kind));
        const rows = await db
          .select()
          .from(refreshTasks)
          .where(where.length > 0 ? and(...where) : undefined)
          .orderBy(desc(refreshTasks.createdAt), desc(refreshTasks.id))
          .limit(query.limit);
        return rows.map(toTaskRecord);
      });
    },

    async claimNext(workerId, kinds, leaseMs, now) {
      if (kinds.length === 0) return null;
      return withDatabaseErrors('taking the next task', async () =>
        db.transaction(async (tx) => {
          const [candidate] = await tx
            .select({ id: refreshTasks.id })
            .from(refreshTasks)
            .where(
              and(
                inArray(refreshTasks.kind, kinds),
                or(
                  eq(refreshTasks.status, 'pending'),
                  and(
                    eq(refreshTasks.status, 'running'),
                    or(isNull(refreshTasks.leaseExpiresAt), lte(refreshTasks.leaseExpiresAt, now)),
                  ),
                ),
              ),
            )
            .orderBy(desc(refreshTasks.priority), asc(refreshTasks.createdAt), asc(refreshTasks.id))
            .limit(1)
            .for('update', { skipLocked: true });
          if (!candidate) return null;
          const [row] = await tx
            .update(refreshTasks)
            .set({
              status: 'running',
              leaseOwner: workerId,
              leaseExpiresAt: new Date(now.getTime() + leaseMs),
              attempts: sql`${refreshTasks.attempts} + 1`,
              startedAt: sql`coalesce(${refreshTasks.startedAt}, ${now.toISOString()}::timestamptz)`,
              updatedAt: now,
            })
            .where(eq(refreshTasks.id, candidate.id))
            .returning();
          return toTaskRecord(row!);
        }),
      );
    },

    async update(id, workerId, patch, leaseMs, now) {
      return withDatabaseErrors('recording task progress', async () => {
        const [row] = await db
          .update(refreshTasks)
          .set({ ...patchValues(patch), leaseExpiresAt: new Date(now.getTime() + leaseMs), updatedAt: now })
          .where(heldBy(id, workerId))
          .returning();
        return row ? toTaskRecord(row) : null;
      });
    },

    async finish(id, workerId, status, patch, now) {
      return withDatabaseErrors('recording the end of a task', async () => {
        const [row] = await db
          .update(refreshTasks)
          .set({
            ...patchValues(patch),
            status,
            current: null,
            leaseOwner: null,
            leaseExpiresAt: null,
            finishedAt: now,
            updatedAt: now,
          })
          .where(heldBy(id, workerId))
          .returning();
        return row ? toTaskRecord(row) : null;
      });
    },

    async release(id, workerId, now) {
      return withDatabaseErrors('giving a task back', async () => {
        await db
          .update(refreshTasks)
          .set({ leaseExpiresAt: now, updatedAt: now })
          .where(heldBy(id, workerId));
      });
    },

    async cancel(id, now) {
      return withDatabaseErrors('cancelling a task', async () => {
        const [row] = await db
          .update(refreshTasks)
          .set({ status: 'cancelled', current: null, leaseOwner: null, leaseExpiresAt: null, finishedAt: now, updatedAt: now })
          .where(and(eq(refreshTasks.id, id), inArray(refreshTasks.status, ['pending', 'running'])))
          .returning();
        if (row) return toTaskRecord(row);
        const [existing] = await db.select().from(refreshTasks).where(eq(refreshTasks.id, id));
        return existing ? toTaskRecord(existing) : null;
      });
    },

    async pruneFinished(before) {
      return withDatabaseErrors('removing old tasks', async () => {
        const rows = await db
          .delete(refreshTasks)
          .where(
            and(
              inArray(refreshTasks.status, ['completed', 'failed', 'cancelled']),
              lte(refreshTasks.finishedAt, before),
              gt(refreshTasks.createdAt, new Date(0)),
            ),
          )
          .returning({ id: refreshTasks.id });
        return rows.length;
      });
    },
  };
}
