/**
 * Durable refresh tasks on a SQL store: claims by priority and age, one task to one worker even
 * when two claim at once, a dead worker's task taken over once its lease expires (time from an
 * injected clock), cancellation noticed by the running worker, capped error lists, and a worker
 * that resumes a task from its stored progress.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createRefreshTaskWorker, MAX_TASK_ERRORS } from '@modeldock/engine';
import type { RefreshTaskStore, TaskHandler, TaskRecord } from '@modeldock/engine';
import { FakeClock, settle } from '../../engine/jobs/helpers/fake-clock';
import { RecordingLogger } from '../../engine/jobs/helpers/recording-logger';

const T0 = Date.parse('2030-03-04T05:06:07.000Z');
const LEASE = 30_000;
const at = (ms: number) => new Date(T0 + ms);

export interface TwoWorkers {
  /** The store as worker A sees it. */
  a: RefreshTaskStore;
  /** The store as worker B sees it: another connection on PostgreSQL. */
  b: RefreshTaskStore;
}

export function describeRefreshTaskStore(name: string, open: () => Promise<TwoWorkers>): void {
  describe(`refresh tasks: ${name}`, () => {
    let a: RefreshTaskStore;
    let b: RefreshTaskStore;
    beforeEach(async () => {
      ({ a, b } = await open());
    });

    it('stores a task and claims by priority, then age; the claim starts it and counts the attempt', async () => {
      const low = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'low' }, at(0));
      const normal = await a.create({ kind: 'scan', targets: { scope: 'entries', ids: ['x'] }, priority: 'normal' }, at(1));
      const high = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'high' }, at(2));
      const other = await a.create({ kind: 'metadata', targets: { scope: 'library' }, priority: 'high' }, at(3));
      expect(low).toMatchObject({ status: 'pending', done: 0, total: 0, current: null, errors: [], attempts: 0, startedAt: null });
      expect((await a.get(normal.id))!.targets).toEqual({ scope: 'entries', ids: ['x'] });

      const order: string[] = [];
      for (;;) {
        const claimed = await a.claimNext('A', ['scan'], LEASE, at(10));
        if (!claimed) break;
        order.push(claimed.id);
        expect(claimed).toMatchObject({ status: 'running', leaseOwner: 'A', attempts: 1, startedAt: at(10) });
        expect(claimed.leaseExpiresAt).toEqual(at(10 + LEASE));
      }
      expect(order).toEqual([high.id, normal.id, low.id]);
      expect((await a.get(other.id))!.status).toBe('pending');
      expect((await a.list({ limit: 10 })).map((task) => task.id)).toEqual([other.id, high.id, normal.id, low.id]);
      expect((await a.list({ limit: 10, statuses: ['pending'] })).map((task) => task.id)).toEqual([other.id]);
    });

    it('never gives one task to two workers claiming at the same time', async () => {
      const created: string[] = [];
      for (let n = 0; n < 20; n++) created.push((await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'normal' }, at(n))).id);
      const takeAll = async (store: RefreshTaskStore, worker: string) => {
        const mine: string[] = [];
        for (;;) {
          const task = await store.claimNext(worker, ['scan'], LEASE, at(100));
          if (!task) return mine;
          mine.push(task.id);
        }
      };
      const [byA, byB] = await Promise.all([takeAll(a, 'A'), takeAll(b, 'B')]);
      expect([...byA, ...byB].sort()).toEqual(created.sort());
      expect(byA.filter((id) => byB.includes(id))).toEqual([]);
    });

    it('gives a dead worker’s task to another once its lease expired; the old worker can no longer write', async () => {
      const task = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'normal' }, at(0));
      await a.claimNext('A', ['scan'], LEASE, at(0));
      expect(await a.update(task.id, 'A', { done: 7, total: 20, current: 'x.gguf' }, LEASE, at(5_000))).toMatchObject({ done: 7 });
      expect(await b.claimNext('B', ['scan'], LEASE, at(20_000))).toBeNull();

      const taken = (await b.claimNext('B', ['scan'], LEASE, at(5_000 + LEASE + 1)))!;
      expect(taken).toMatchObject({ id: task.id, leaseOwner: 'B', attempts: 2, done: 7, total: 20, startedAt: at(0) });
      expect(await a.update(task.id, 'A', { done: 8 }, LEASE, at(40_000))).toBeNull();
      expect(await a.finish(task.id, 'A', 'completed', {}, at(40_000))).toBeNull();
      expect((await b.finish(task.id, 'B', 'completed', { done: 20 }, at(41_000)))!).toMatchObject({
        status: 'completed',
        done: 20,
        leaseOwner: null,
        finishedAt: at(41_000),
      });
    });

    it('keeps the first errors and counts them all', async () => {
      const task = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'normal' }, at(0));
      await a.claimNext('A', ['scan'], LEASE, at(0));
      const errors = (from: number, count: number) =>
        Array.from({ length: count }, (_, n) => ({ target: `f${from + n}`, code: 'IO_ERROR', message: 'Permission denied' }));
      await a.update(task.id, 'A', { newErrors: errors(0, 150) }, LEASE, at(1));
      const after = (await a.update(task.id, 'A', { newErrors: errors(150, 100) }, LEASE, at(2)))!;
      expect(after.errorCount).toBe(250);
      expect(after.errors).toHaveLength(MAX_TASK_ERRORS);
      expect(after.errors[0]!.target).toBe('f0');
      expect(after.errors.at(-1)!.target).toBe(`f${MAX_TASK_ERRORS - 1}`);
    });

    it('cancels a pending or running task; a finished one stays as it was', async () => {
      const pending = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'normal' }, at(0));
      expect(await a.cancel(pending.id, at(1))).toMatchObject({ status: 'cancelled', finishedAt: at(1) });
      expect(await a.claimNext('A', ['scan'], LEASE, at(2))).toBeNull();
      const running = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'normal' }, at(3));
      await a.claimNext('A', ['scan'], LEASE, at(3));
      expect((await b.cancel(running.id, at(4)))!.status).toBe('cancelled');
      expect(await a.update(running.id, 'A', { done: 1 }, LEASE, at(5))).toBeNull();
      expect((await a.cancel(running.id, at(6)))!.finishedAt).toEqual(at(4));
      expect(await a.cancel('0190a0a0-0000-7000-8000-000000000000', at(7))).toBeNull();
    });

    it('a released task (the worker stopped) is claimed again at once, and old finished tasks are pruned', async () => {
      const task = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'normal' }, at(0));
      await a.claimNext('A', ['scan'], LEASE, at(0));
      await a.release(task.id, 'A', at(10));
      expect(await b.claimNext('B', ['scan'], LEASE, at(11))).toMatchObject({ id: task.id, attempts: 2 });
      await b.finish(task.id, 'B', 'completed', {}, at(12));
      expect(await a.pruneFinished(at(11))).toBe(0);
      expect(await a.pruneFinished(at(13))).toBe(1);
      expect(await a.get(task.id)).toBeNull();
    });

    it('workers with an injected clock: a killed worker’s task is resumed by another from its stored progress', async () => {
      const task = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'normal' }, at(0));
      const clockA = new FakeClock(T0);
      const clockB = new FakeClock(T0);
      const progressOf: Record<string, TaskRecord> = {};
      const blockUntilAborted: TaskHandler = async (run) => {
        run.progress({ done: 3, total: 10, current: 'three.gguf' });
        await new Promise<void>((resolve) => run.signal.addEventListener('abort', () => resolve(), { once: true }));
      };
      const workerA = createRefreshTaskWorker({
        store: a,
        clock: clockA,
        logger: new RecordingLogger(),
        workerId: 'A',
        handlers: new Map([['scan', blockUntilAborted]]),
        leaseMs: LEASE,
        onTaskChanged: (changed) => (progressOf.A = changed),
      });
      workerA.start();
      await waitFor(async () => (await a.get(task.id))!.leaseOwner === 'A');
      await clockA.advance(500);
      await waitFor(async () => (await a.get(task.id))!.done === 3);
      // Worker A dies: its clock stops, it never writes again. B's time passes the lease.
      let resumedWith: TaskRecord | null = null;
      const workerB = createRefreshTaskWorker({
        store: b,
        clock: clockB,
        logger: new RecordingLogger(),
        workerId: 'B',
        handlers: new Map<string, TaskHandler>([
          [
            'scan',
            async (run) => {
              resumedWith = run.task;
              run.progress({ done: 10 });
            },
          ],
        ]),
        leaseMs: LEASE,
      });
      await clockB.advance(LEASE + 1_000);
      expect(await workerB.drain()).toBe(1);
      expect(resumedWith).toMatchObject({ id: task.id, attempts: 2, done: 3, total: 10 });
      expect(await b.get(task.id)).toMatchObject({ status: 'completed', done: 10, total: 10 });
      // A wakes up: its write is refused and its handler aborted; nothing it does changes the task.
      await clockA.advance(500);
      await settle();
      await workerA.stop();
      expect(await a.get(task.id)).toMatchObject({ status: 'completed', done: 10, leaseOwner: null });
      expect(progressOf.A!.leaseOwner).toBe('A');
    });

    it('a worker stops the handler when the task is cancelled, and records a failure with its code', async () => {
      const clock = new FakeClock(T0);
      const logger = new RecordingLogger();
      let aborted = false;
      const worker = createRefreshTaskWorker({
        store: a,
        clock,
        logger,
        workerId: 'A',
        handlers: new Map<string, TaskHandler>([
          [
            'scan',
            async (run) => {
              await new Promise<void>((resolve) => run.signal.addEventListener('abort', () => resolve(), { once: true }));
              aborted = true;
            },
          ],
          [
            'broken',
            async (run) => {
              run.itemError({ target: 'a.gguf', code: 'IO_ERROR', message: 'Permission denied' });
              throw Object.assign(new Error('no space left'), { code: 'ENOSPC' });
            },
          ],
        ]),
        leaseMs: LEASE,
      });
      const cancelled = await a.create({ kind: 'scan', targets: { scope: 'library' }, priority: 'normal' }, at(0));
      worker.start();
      await waitFor(async () => (await a.get(cancelled.id))!.status === 'running');
      await b.cancel(cancelled.id, at(1));
      await clock.advance(600);
      await waitFor(async () => aborted);
      expect((await a.get(cancelled.id))!.status).toBe('cancelled');

      const broken = await a.create({ kind: 'broken', targets: { scope: 'library' }, priority: 'normal' }, at(2));
      worker.wake();
      await waitFor(async () => (await a.get(broken.id))!.status === 'failed');
      expect((await a.get(broken.id))!.errors).toEqual([
        { target: 'a.gguf', code: 'IO_ERROR', message: 'Permission denied' },
        { target: 'broken', code: 'DISK_FULL', message: expect.any(String) },
      ]);
      await worker.stop();
    });
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
