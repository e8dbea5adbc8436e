/**
 * The background indexer: a pass at start and then every interval, hashing throttled only while
 * downloads run, a failed pass logged and tried again later, and a stop that interrupts a pass.
 * Time is a fake clock: the throttle and the interval are checked by what waits on it, not by speed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLibraryIndexTask, createTaskRunner } from '@modeldock/engine';
import type { LibraryIndexTask, LibraryScanReport, TaskRunner } from '@modeldock/engine';
import { FakeClock, settle } from '../jobs/helpers/fake-clock';
import { waitUntil } from '../jobs/helpers/harness';
import { createLibraryFixture, sha256Of } from './helpers/library-fixture';
import type { LibraryFixture } from './helpers/library-fixture';

let fixture: LibraryFixture;
let clock: FakeClock;
let busy: boolean;
let indexer: LibraryIndexTask | null;
let tasks: TaskRunner | null;

beforeEach(async () => {
  fixture = await createLibraryFixture();
  clock = new FakeClock();
  busy = false;
  indexer = null;
  tasks = null;
});

afterEach(async () => {
  await tasks?.stop();
  await fixture.cleanup();
});

function start(settings: Parameters<typeof createLibraryIndexTask>[1]): {
  firstPass: Promise<LibraryScanReport>;
} {
  indexer = createLibraryIndexTask({ ...fixture.ctx, clock, isBusy: () => busy }, settings);
  tasks = createTaskRunner({ clock, logger: fixture.logger });
  tasks.register(indexer);
  const firstPass = indexer.nextPass();
  tasks.start();
  return { firstPass };
}

function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return settle().then(() => settled);
}

describe('the background indexer', () => {
  it('indexes what is on disk as soon as it starts, unthrottled while no download runs', async () => {
    await fixture.write('checkpoints/a.safetensors', 'a');
    const { firstPass } = start({ rescanIntervalMs: null, busyReadBytesPerSecond: 1000 });
    expect(await firstPass).toEqual({ hashed: 1, unchanged: 0, forgotten: 0, failed: 0 });
    expect(clock.pendingTimers()).toBe(0);
    expect((await fixture.index.get('checkpoints/a.safetensors'))!.sha256).toBe(sha256Of('a'));
    expect(fixture.logger.find('local file index updated')?.fields).toMatchObject({ hashed: 1 });
  });

  it('reads at the busy rate while downloads run: the pass waits on the clock', async () => {
    await fixture.write('a.gguf', 'some bytes');
    busy = true;
    const { firstPass } = start({ rescanIntervalMs: null, busyReadBytesPerSecond: 1000 });
    await waitUntil(() => clock.pendingTimers() > 0, 'the hash to wait for read allowance');
    expect(await isSettled(firstPass)).toBe(false);
    expect(fixture.index.all()).toEqual([]);

    for (let round = 0; round < 20 && !(await isSettled(firstPass)); round++)
      await clock.advance(10_000_000);
    expect((await firstPass).hashed).toBe(1);
  });

  it('passes again every interval, picking up new files', async () => {
    await fixture.write('a.gguf', 'a');
    const { firstPass } = start({ rescanIntervalMs: 60_000, busyReadBytesPerSecond: null });
    await firstPass;
    await fixture.write('b.gguf', 'b');
    const secondPass = indexer!.nextPass();
    await clock.advance(59_000);
    expect(await isSettled(secondPass)).toBe(false);
    await clock.advance(1_000);
    expect(await secondPass).toEqual({ hashed: 1, unchanged: 1, forgotten: 0, failed: 0 });
  });

  it('logs a pass that fails and tries again at the next interval', async () => {
    await fixture.write('a.gguf', 'a');
    fixture.index.failWith = new Error('database unreachable');
    start({ rescanIntervalMs: 1_000, busyReadBytesPerSecond: null });
    await waitUntil(
      () =>
        fixture.logger.find('could not update the local file index; trying again later') !==
        undefined,
      'the failed pass to be logged',
    );
    expect(
      fixture.logger.find('could not update the local file index; trying again later')?.fields,
    ).toMatchObject({ message: 'database unreachable' });

    fixture.index.failWith = null;
    const nextPass = indexer!.nextPass();
    await clock.advance(1_000);
    expect((await nextPass).hashed).toBe(1);
  });

  it('stops in the middle of a pass, recording nothing half-read', async () => {
    await fixture.write('a.gguf', 'a');
    busy = true;
    const { firstPass } = start({ rescanIntervalMs: 1_000, busyReadBytesPerSecond: 1 });
    await waitUntil(() => clock.pendingTimers() > 0, 'the hash to wait for read allowance');
    await tasks!.stop();
    expect(await isSettled(firstPass)).toBe(false);
    expect(fixture.index.all()).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });
});
