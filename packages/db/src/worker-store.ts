/** The workers table: one heartbeat row per process sharing the database (engine's WorkerStore). */
import { asc, inArray, lt } from 'drizzle-orm';
import type { WorkerRecord, WorkerStore } from '@modeldock/engine';
import type { Database } from './database';
import { withDatabaseErrors } from './database-errors';
import { workers } from './schema';

export function createWorkerStore(db: Database): WorkerStore {
  return {
    recordHeartbeat(worker, now) {
      return withDatabaseErrors('recording this worker’s heartbeat', async () => {
        await db
          .insert(workers)
          .values({
            id: worker.id,
            name: worker.name,
            startedAt: worker.startedAt,
            lastHeartbeatAt: now,
          })
          .onConflictDoUpdate({
            target: workers.id,
            set: { name: worker.name, lastHeartbeatAt: now },
          });
      });
    },
    listWorkers() {
      return withDatabaseErrors('listing the workers', async () => {
        const rows = await db
          .select()
          .from(workers)
          .orderBy(asc(workers.name), asc(workers.startedAt));
        return rows.map((row): WorkerRecord => ({
          id: row.id,
          name: row.name,
          startedAt: row.startedAt,
          lastHeartbeatAt: row.lastHeartbeatAt,
        }));
      });
    },
    removeWorkers(query) {
      return withDatabaseErrors('removing workers', async () => {
        let removed = 0;
        if (query.ids && query.ids.length > 0) {
          removed += (
            await db
              .delete(workers)
              .where(inArray(workers.id, query.ids))
              .returning({ id: workers.id })
          ).length;
        }
        if (query.silentSince) {
          removed += (
            await db
              .delete(workers)
              .where(lt(workers.lastHeartbeatAt, query.silentSince))
              .returning({ id: workers.id })
          ).length;
        }
        return removed;
      });
    },
  };
}
