/**
 * The background task runner: schedules (periodic, once, on trigger), backoff after failures, the
 * one log shape, triggers during a run, removal and stop. Time is a fake clock: nothing sleeps.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelay, createTaskRunner } from '@modeldock/engine';
import type { BackgroundTask, TaskRunner } from '@modeldock/engine';
import { FakeClock, settle } from '../jobs/helpers/fake-clock';
import { RecordingLogger } from '../jobs/helpers/recording-logger';

let clock: FakeClock;
let logger: RecordingLogger;
let tasks: TaskRunner;

beforeEach(() => {
  clock = new FakeClock(1_000_000);
  logger = new RecordingLogger();
  tasks = createTaskRunner({ clock, logger });
});

afterEach(async () => {
  await tasks.stop();
});

/** A task that records when it ran and does what `behave` says on each run. */
function recordingTask(
  name: string,
  schedule: BackgroundTask['schedule'],
  behave: (run: number) => 'ok' | 'retry' | Error = () => 'ok',
  extra: Partial<BackgroundTask> = {},
): { task: BackgroundTask; ranAt: number[] } {
  const ranAt: number[] = [];
  return {
    ranAt,
    task: {
      name,
      schedule,
      async run() {
        ranAt.push(clock.now() - 1_000_000);
        const outcome = behave(ranAt.length);
        if (outcome instanceof Error) throw outcome;
        return outcome === 'retry' ? 'retry' : undefined;
      },
      ...extra,
    },
  };
}

describe('schedules', () => {
  it('a periodic task runs at start, then every interval after the previous run', async () => {
    const { task, ranAt } = recordingTask('every', { every: 1_000 });
    tasks.register(task);
    tasks.start();
    await settle();
    expect(ranAt).toEqual([0]);
    await clock.advance(999);
    expect(ranAt).toEqual([0]);
    await clock.advance(2_001);
    expect(ranAt).toEqual([0, 1_000, 2_000, 3_000]);
  });

  it('waits firstAfter before the first run, and nothing runs before start()', async () => {
    const { task, ranAt } = recordingTask('late', { every: 1_000, firstAfter: 500 });
    tasks.register(task);
    await clock.advance(5_000);
    expect(ranAt).toEqual([]);
    tasks.start();
    await clock.advance(500);
    expect(ranAt).toEqual([5_500]);
  });

  it('a one-off task runs once after its delay and is then removed', async () => {
    const { task, ranAt } = recordingTask('once', { once: 2_000 });
    tasks.start();
    tasks.register(task);
    expect(tasks.status('once')).toMatchObject({ nextRunAt: clock.now() + 2_000, runs: 0 });
    await clock.advance(10_000);
    expect(ranAt).toEqual([2_000]);
    expect(tasks.has('once')).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a trigger task runs only when triggered; triggers during a run make one more run', async () => {
    let release!: () => void;
    let runs = 0;
    tasks.register({
      name: 'on-demand',
      schedule: { onTrigger: true },
      run: async () => {
        runs++;
        if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    tasks.start();
    await clock.advance(60_000);
    expect(runs).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(tasks.trigger('on-demand')).toBe(true);
    await settle();
    expect(tasks.status('on-demand')?.running).toBe(true);
    tasks.trigger('on-demand');
    tasks.trigger('on-demand');
    release();
    await settle();
    expect(runs).toBe(2);
    expect(tasks.trigger('nobody')).toBe(false);
  });

  it('a trigger cuts a periodic wait short', async () => {
    const { task, ranAt } = recordingTask('every', { every: 60_000 });
    tasks.register(task);
    tasks.start();
    await clock.advance(10_000);
    tasks.trigger('every');
    await settle();
    expect(ranAt).toEqual([0, 10_000]);
    await clock.advance(60_000);
    expect(ranAt).toEqual([0, 10_000, 70_000]);
  });
});

describe('failures', () => {
  it('are logged in one shape and retried with a doubling backoff up to its maximum', async () => {
    const { task, ranAt } = recordingTask(
      'flaky',
      { every: 60_000 },
      (run) => (run <= 4 ? new Error(`attempt ${run} failed`) : 'ok'),
      { backoff: { firstMs: 1_000, maxMs: 3_000 }, failureMessage: 'flaky work failed' },
    );
    tasks.register(task);
    tasks.start();
    await clock.advance(10_000);
    // Failures at 0, 1000 (+1 s), 3000 (+2 s), 6000 (+3 s, the maximum); success at 9000.
    expect(ranAt).toEqual([0, 1_000, 3_000, 6_000, 9_000]);
    const warnings = logger.lines.filter((line) => line.message === 'flaky work failed');
    expect(warnings.map((line) => line.fields)).toEqual([
      { task: 'flaky', failures: 1, retryInMs: 1_000, message: 'attempt 1 failed' },
      { task: 'flaky', failures: 2, retryInMs: 2_000, message: 'attempt 2 failed' },
      { task: 'flaky', failures: 3, retryInMs: 3_000, message: 'attempt 3 failed' },
      { task: 'flaky', failures: 4, retryInMs: 3_000, message: 'attempt 4 failed' },
    ]);
    expect(tasks.status('flaky')).toMatchObject({ failures: 0, lastError: null, runs: 5 });
    // Back to the regular interval after a success.
    await clock.advance(60_000);
    expect(ranAt.at(-1)).toBe(69_000);
  });

  it('without a backoff, a periodic task tries again at its next interval', async () => {
    const { task, ranAt } = recordingTask('plain', { every: 5_000 }, (run) =>
      run === 1 ? new Error('no') : 'ok',
    );
    tasks.register(task);
    tasks.start();
    await clock.advance(5_000);
    expect(ranAt).toEqual([0, 5_000]);
    expect(logger.find('background task failed')?.fields).toMatchObject({ task: 'plain', message: 'no' });
  });

  it("'retry' follows the backoff quietly; a one-off task ends at its first success", async () => {
    const { task, ranAt } = recordingTask('until-done', { once: 100 }, (run) => (run < 3 ? 'retry' : 'ok'), {
      backoff: { firstMs: 1_000, maxMs: 10_000 },
    });
    tasks.start();
    tasks.register(task);
    await clock.advance(100);
    expect(tasks.status('until-done')).toMatchObject({ failures: 1, runs: 1 });
    await clock.advance(20_000);
    expect(ranAt).toEqual([100, 1_100, 3_100]);
    expect(tasks.has('until-done')).toBe(false);
    expect(logger.lines).toEqual([]);
  });

  it('secrets in an error message are redacted in the log line', async () => {
    const { task } = recordingTask('leaky', { once: 0 }, () => new Error('GET https://x.test/?token=hf_FAKEsecretvalue123 failed'));
    tasks.register(task);
    tasks.start();
    await settle();
    expect(logger.text()).not.toContain('hf_FAKEsecretvalue123');
  });

  it('computes the backoff wait from the failures in a row', () => {
    const backoff = { firstMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 80].map((failures) => backoffDelay(failures, backoff))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });
});

describe('progress, removal and stop', () => {
  it('shows the last progress a run reported', async () => {
    let release!: () => void;
    tasks.register({
      name: 'long',
      schedule: { onTrigger: true },
      run: async (_signal, progress) => {
        progress.report({ done: 3, total: 10, message: 'hashing' });
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    tasks.start();
    tasks.trigger('long');
    await settle();
    expect(tasks.list()).toEqual([
      expect.objectContaining({ name: 'long', running: true, progress: { done: 3, total: 10, message: 'hashing' } }),
    ]);
    release();
  });

  it('remove() aborts the run under way and waits for it; re-registering replaces a task', async () => {
    let aborted = 0;
    const waitForAbort = (signal: AbortSignal) =>
      new Promise<void>((resolve) => signal.addEventListener('abort', () => (aborted++, resolve()), { once: true }));
    tasks.register({ name: 'slow', schedule: { once: 0 }, run: waitForAbort });
    tasks.start();
    await settle();
    await tasks.remove('slow');
    expect(aborted).toBe(1);
    expect(tasks.has('slow')).toBe(false);

    tasks.register({ name: 'slow', schedule: { once: 0 }, run: waitForAbort });
    await settle();
    const { task, ranAt } = recordingTask('slow', { once: 0 });
    tasks.register(task);
    await settle();
    expect(aborted).toBe(2);
    expect(ranAt).toEqual([0]);
  });

  it('stop() aborts every run and timer, and later registrations are ignored', async () => {
    let sawAbort = false;
    tasks.register({
      name: 'running',
      schedule: { once: 0 },
      run: (signal) =>
        new Promise<void>((resolve) => signal.addEventListener('abort', () => ((sawAbort = true), resolve()))),
    });
    tasks.register(recordingTask('waiting', { every: 1_000, firstAfter: 1_000 }).task);
    tasks.start();
    await settle();
    expect(clock.pendingTimers()).toBe(1);
    await tasks.stop();
    expect(sawAbort).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    const late = recordingTask('late', { once: 0 });
    tasks.register(late.task);
    tasks.start();
    await settle();
    expect(late.ranAt).toEqual([]);
    expect(tasks.list()).toEqual([]);
  });
});

describe('a computed delay', () => {
  it('runs at start, then after the wait the schedule computes when each run ends', async () => {
    const waits = [300, 100, 50];
    const { task, ranAt } = recordingTask('delay', { delay: () => waits.shift() ?? 10_000 });
    tasks.register(task);
    tasks.start();
    await settle();
    expect(ranAt).toEqual([0]);
    await clock.advance(299);
    expect(ranAt).toEqual([0]);
    await clock.advance(1 + 100 + 50);
    expect(ranAt).toEqual([0, 300, 400, 450]);
  });
});
