/**
 * Runs background tasks: each registered task waits on the injected clock for its schedule (or a
 * trigger), runs, and after a failure waits per its backoff. One start and one stop for them all;
 * every failure is logged the same way: `{ task, failures, retryInMs, message }`.
 */
import { describeError } from '../errors';
import type { Clock, Logger } from '../ports';
import { backoffDelay } from './task';
import type { BackgroundTask, BackgroundTaskOutcome, BackgroundTaskStatus } from './task';

export interface TaskRunnerPorts {
  clock: Clock;
  logger: Logger;
}

export interface TaskRunner {
  /**
   * Adds a task (replacing a task of the same name, whose run is aborted). Before `start()` it
   * waits; after `stop()` it is ignored.
   */
  register(task: BackgroundTask): void;
  /** Removes a task and aborts its run; resolves once that run has returned. */
  remove(name: string): Promise<void>;
  /** Runs a task now, or right after the run under way; false when no such task is registered. */
  trigger(name: string): boolean;
  has(name: string): boolean;
  status(name: string): BackgroundTaskStatus | null;
  list(): BackgroundTaskStatus[];
  start(): void;
  /** Aborts every run and timer; resolves once every run has returned. Final. */
  stop(): Promise<void>;
}

interface Registration {
  task: BackgroundTask;
  controller: AbortController;
  status: BackgroundTaskStatus;
  /** Ends the current wait early (a trigger). */
  wakeWait: (() => void) | null;
  /** Triggered while running: run again right after. */
  runAgain: boolean;
  loop: Promise<void> | null;
}

function firstDelay(task: BackgroundTask): number | null {
  const { schedule } = task;
  if ('every' in schedule) return schedule.firstAfter ?? 0;
  if ('once' in schedule) return schedule.once;
  if ('delay' in schedule) return 0;
  return null;
}

export function createTaskRunner({ clock, logger }: TaskRunnerPorts): TaskRunner {
  const registrations = new Map<string, Registration>();
  const loops = new Set<Promise<void>>();
  let started = false;
  let stopped = false;

  /** Resolves after `ms` (null: never), early on a trigger or abort. */
  async function wait(reg: Registration, ms: number | null): Promise<void> {
    // No timer for "now": a fake clock would hold it until the test advances time.
    if (reg.runAgain || ms === 0) return;
    const waiting = new AbortController();
    const onAbort = () => waiting.abort();
    reg.controller.signal.addEventListener('abort', onAbort, { once: true });
    reg.wakeWait = onAbort;
    reg.status.nextRunAt = ms === null ? null : clock.now() + ms;
    try {
      if (ms === null) {
        await new Promise<void>((resolve) =>
          waiting.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      } else {
        await clock.sleep(ms, waiting.signal).catch(() => undefined);
      }
    } finally {
      reg.wakeWait = null;
      reg.status.nextRunAt = null;
      reg.controller.signal.removeEventListener('abort', onAbort);
    }
  }

  async function runOnce(reg: Registration): Promise<'ok' | 'failed'> {
    const { task, controller, status } = reg;
    status.running = true;
    status.runs++;
    status.progress = null;
    let outcome: BackgroundTaskOutcome;
    try {
      outcome = await task.run(controller.signal, {
        report: (progress) => {
          status.progress = { ...progress };
        },
      });
    } catch (error) {
      if (controller.signal.aborted) return 'failed';
      status.failures++;
      status.lastError = describeError(error);
      const retryInMs = nextDelay(reg, 'failed');
      logger.warn(
        { task: task.name, failures: status.failures, retryInMs, message: status.lastError },
        task.failureMessage ?? 'background task failed',
      );
      return 'failed';
    } finally {
      status.running = false;
    }
    if (outcome === 'retry') {
      status.failures++;
      return 'failed';
    }
    status.failures = 0;
    status.lastError = null;
    return 'ok';
  }

  /** The wait before the next run; null = until triggered; undefined = the task is finished. */
  function nextDelay(reg: Registration, result: 'ok' | 'failed'): number | null | undefined {
    const { schedule, backoff } = reg.task;
    if (result === 'failed' && backoff) return backoffDelay(reg.status.failures, backoff);
    if ('every' in schedule) return schedule.every;
    if ('once' in schedule) return undefined;
    if ('delay' in schedule) return Math.max(0, schedule.delay());
    return null;
  }

  async function loop(reg: Registration): Promise<void> {
    let delay: number | null | undefined = firstDelay(reg.task);
    while (!reg.controller.signal.aborted) {
      await wait(reg, delay!);
      if (reg.controller.signal.aborted) return;
      reg.runAgain = false;
      const result = await runOnce(reg);
      if (reg.controller.signal.aborted) return;
      delay = nextDelay(reg, result);
      if (delay === undefined) {
        if (registrations.get(reg.task.name) === reg) registrations.delete(reg.task.name);
        return;
      }
    }
  }

  function launch(reg: Registration): void {
    const running = loop(reg);
    reg.loop = running;
    loops.add(running);
    void running.finally(() => loops.delete(running));
  }

  function removeRegistration(name: string): Promise<void> {
    const reg = registrations.get(name);
    if (!reg) return Promise.resolve();
    registrations.delete(name);
    reg.controller.abort(new Error(`background task ${name} removed`));
    return reg.loop ?? Promise.resolve();
  }

  return {
    register(task) {
      if (stopped) return;
      void removeRegistration(task.name);
      const reg: Registration = {
        task,
        controller: new AbortController(),
        status: {
          name: task.name,
          running: false,
          runs: 0,
          failures: 0,
          nextRunAt: null,
          lastError: null,
          progress: null,
        },
        wakeWait: null,
        runAgain: false,
        loop: null,
      };
      registrations.set(task.name, reg);
      if (started) launch(reg);
    },
    remove: removeRegistration,
    trigger(name) {
      const reg = registrations.get(name);
      if (!reg) return false;
      reg.runAgain = true;
      reg.wakeWait?.();
      return true;
    },
    has: (name) => registrations.has(name),
    status(name) {
      const reg = registrations.get(name);
      return reg ? { ...reg.status } : null;
    },
    list: () => [...registrations.values()].map((reg) => ({ ...reg.status })),
    start() {
      if (started || stopped) return;
      started = true;
      for (const reg of registrations.values()) launch(reg);
    },
    async stop() {
      stopped = true;
      for (const reg of registrations.values()) reg.controller.abort(new Error('stopping'));
      registrations.clear();
      await Promise.allSettled([...loops]);
    },
  };
}
