/**
 * Worker presence on an injected clock: heartbeats every `heartbeatMs`, other nodes alive while
 * their heartbeat is recent and down once a whole window passed in silence, `list()` with each
 * worker's running jobs, a graceful stop removing the row, long-silent rows forgotten.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTaskRunner, createWorkerPresence, FORGET_WORKERS_AFTER_MS } from '@modeldock/engine';
import type { JobRecord, TaskRunner, WorkerPresence } from '@modeldock/engine';
import { MemoryWorkerStore } from '../../support/memory-worker-store';
import { FakeClock, settle } from '../jobs/helpers/fake-clock';
import { RecordingLogger } from '../jobs/helpers/recording-logger';

const HEARTBEAT_MS = 1_000;
const ALIVE_WITHIN_MS = 3_000;

let runners: TaskRunner[] = [];
afterEach(async () => {
  for (const runner of runners) await runner.stop();
  runners = [];
});

function presenceFor(
  name: string,
  store: MemoryWorkerStore,
  clock: FakeClock,
  activeJobs: JobRecord[] = [],
  options: { startRunner?: boolean } = {},
): WorkerPresence {
  const logger = new RecordingLogger();
  const tasks = createTaskRunner({ clock, logger });
  runners.push(tasks);
  if (options.startRunner ?? true) tasks.start();
  return createWorkerPresence({
    store,
    jobs: { listActiveJobs: async () => activeJobs },
    clock,
    logger,
    tasks,
    workerId: `${name}:1:abcd`,
    nodeName: name,
    heartbeatMs: HEARTBEAT_MS,
    aliveWithinMs: ALIVE_WITHIN_MS,
  });
}

async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let step = 0; step < ms; step += 250) {
    await clock.advance(250);
    await settle();
  }
}

describe('worker presence', () => {
  it('writes a heartbeat at start and every heartbeatMs on the clock', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryWorkerStore();
    const a = presenceFor('gpu-a', store, clock);
    await a.start();
    expect(store.rows.get('gpu-a:1:abcd')).toMatchObject({
      name: 'gpu-a',
      lastHeartbeatAt: new Date(1_000_000),
    });
    await advance(clock, 2_000);
    expect(store.rows.get('gpu-a:1:abcd')!.lastHeartbeatAt.getTime()).toBe(1_002_000);
  });

  it('knows another node alive while it beats, and down once a whole window passed in silence', async () => {
    const clock = new FakeClock(5_000_000);
    const store = new MemoryWorkerStore();
    const a = presenceFor('gpu-a', store, clock);
    // B's runner never starts: one heartbeat, then silence, as a process that died.
    const b = presenceFor('gpu-b', store, clock, [], { startRunner: false });
    await a.start();
    expect(a.isAlive('gpu-a')).toBe(true);
    expect(a.isAlive('gpu-b')).toBe(false);
    await b.start();
    await advance(clock, HEARTBEAT_MS);
    expect(a.isAlive('gpu-b')).toBe(true);
    await advance(clock, ALIVE_WITHIN_MS);
    expect(a.isAlive('gpu-b')).toBe(false);
    const listed = await a.list();
    expect(listed.map((worker) => [worker.name, worker.alive, worker.self])).toEqual([
      ['gpu-a', true, true],
      ['gpu-b', false, false],
    ]);
  });

  it('lists each worker with the jobs it holds a current lease on', async () => {
    const clock = new FakeClock(9_000_000);
    const store = new MemoryWorkerStore();
    const now = clock.now();
    const job = (
      id: string,
      status: JobRecord['status'],
      owner: string | null,
      expiresIn: number,
    ) =>
      ({
        id,
        status,
        leaseOwner: owner,
        leaseExpiresAt: owner ? new Date(now + expiresIn) : null,
      }) as JobRecord;
    const a = presenceFor('gpu-a', store, clock, [
      job('running-here', 'running', 'gpu-a:1:abcd', 1_000),
      job('verifying-here', 'verifying', 'gpu-a:1:abcd', 1_000),
      job('lease-expired', 'running', 'gpu-a:1:abcd', -1),
      job('queued', 'queued', null, 0),
    ]);
    await a.start();
    const [self] = await a.list();
    expect(self).toMatchObject({
      id: 'gpu-a:1:abcd',
      name: 'gpu-a',
      alive: true,
      self: true,
      startedAt: new Date(now).toISOString(),
      lastHeartbeatAt: new Date(now).toISOString(),
      runningJobIds: ['running-here', 'verifying-here'],
    });
  });

  it('a graceful stop removes the row and stops the heartbeat; long-silent rows are forgotten', async () => {
    const clock = new FakeClock(20_000_000);
    const store = new MemoryWorkerStore();
    await store.recordHeartbeat(
      { id: 'old:1:x', name: 'old', startedAt: new Date(0) },
      new Date(clock.now() - FORGET_WORKERS_AFTER_MS - 1),
    );
    const a = presenceFor('gpu-a', store, clock);
    await a.start();
    expect([...store.rows.keys()]).toEqual(['gpu-a:1:abcd']);
    await a.stop();
    expect(store.rows.size).toBe(0);
    expect(a.isAlive('gpu-a')).toBe(false);
    await advance(clock, 3 * HEARTBEAT_MS);
    expect(store.rows.size).toBe(0);
  });
});
