/** The engine's WorkerStore in memory, for unit tests (packages/db has the SQL one). */
import type { WorkerRecord, WorkerStore } from '@modeldock/engine';

export class MemoryWorkerStore implements WorkerStore {
  readonly rows = new Map<string, WorkerRecord>();

  async recordHeartbeat(
    worker: { id: string; name: string; startedAt: Date },
    now: Date,
  ): Promise<void> {
    const existing = this.rows.get(worker.id);
    this.rows.set(worker.id, {
      id: worker.id,
      name: worker.name,
      startedAt: existing?.startedAt ?? new Date(worker.startedAt),
      lastHeartbeatAt: new Date(now),
    });
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return [...this.rows.values()].map((row) => ({ ...row }));
  }

  async removeWorkers(query: { ids?: string[]; silentSince?: Date }): Promise<number> {
    let removed = 0;
    for (const row of [...this.rows.values()]) {
      const byId = query.ids?.includes(row.id) ?? false;
      const silent = query.silentSince !== undefined && row.lastHeartbeatAt < query.silentSince;
      if (byId || silent) {
        this.rows.delete(row.id);
        removed++;
      }
    }
    return removed;
  }
}
