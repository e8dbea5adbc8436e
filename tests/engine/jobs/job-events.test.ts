import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent } from '@modeldock/engine';
import { FakeClock } from './helpers/fake-clock';
import { createHarness } from './helpers/harness';
import type { Harness } from './helpers/harness';

let harness: Harness;
afterEach(async () => {
  await harness?.dispose();
});

function progressEvents(events: JobEvent[]): JobEvent[] {
  return events.filter((event) => event.type === 'progress');
}

describe('progress events', () => {
  it('coalesce a flood of received bytes to at most one event per progressIntervalMs', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock, config: { progressIntervalMs: 100 } });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/big.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    const before = progressEvents(harness.events).length;

    for (let chunk = 1; chunk <= 200; chunk++) call.callbacks.onBytesReceived(chunk * 1000);
    expect(progressEvents(harness.events).length - before).toBeLessThanOrEqual(1);

    await clock.advance(100);
    const afterOneInterval = progressEvents(harness.events).slice(before);
    expect(afterOneInterval.length).toBeLessThanOrEqual(2);
    const last = afterOneInterval[afterOneInterval.length - 1]!;
    expect(last.jobId).toBe(jobId);
    expect(last.job!.bytesDone).toBe(200_000);
  });

  it('keep coming at least once a second while bytes flow, and stop when they stop', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock, config: { progressIntervalMs: 100 } });
    await harness.manager.enqueue({ url: 'https://cdn.example/slow.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    const start = progressEvents(harness.events).length;
    for (let second = 1; second <= 5; second++) {
      call.callbacks.onBytesReceived(second * 10_000);
      await clock.advance(1_000);
    }
    const during = progressEvents(harness.events).length - start;
    expect(during).toBeGreaterThanOrEqual(5);
    await clock.advance(10_000);
    expect(progressEvents(harness.events).length - start).toBe(during);
  });

  it('carry <lastStoredId>.<n> ids that restart after every stored event', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock, config: { progressIntervalMs: 100 } });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    call.callbacks.onBytesReceived(10);
    await clock.advance(100);
    call.callbacks.onBytesReceived(20);
    await clock.advance(100);
    await harness.manager.pause(jobId);

    const ids = harness.events.map((event) => `${event.type}:${event.id}`);
    // 2.1 announces the file starting; 2.2 and 2.3 the bytes of each interval.
    expect(ids).toEqual(['created:1', 'status:2', 'progress:2.1', 'progress:2.2', 'progress:2.3', 'status:3']);
  });

  it('overlay received-but-not-durable bytes and a sliding-window speed with its ETA', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock, config: { progressIntervalMs: 100 } });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    await call.progress(0, 10_000);
    for (let step = 1; step <= 5; step++) {
      await clock.advance(1_000);
      call.callbacks.onBytesReceived(step * 1_000);
    }
    const live = await harness.manager.getJob(jobId);
    expect(live.bytesDone).toBe(5_000);
    expect((await harness.store.getJob(jobId))!.files[0]!.bytesDone).toBe(0);
    expect(live.speedBps).toBeGreaterThanOrEqual(900);
    expect(live.speedBps).toBeLessThanOrEqual(1_100);
    expect(live.etaSeconds).toBeGreaterThanOrEqual(4);
    expect(live.etaSeconds).toBeLessThanOrEqual(6);

    await clock.advance(10_000);
    const idle = await harness.manager.getJob(jobId);
    expect(idle.speedBps).toBe(0);
    expect(idle.etaSeconds).toBeNull();
  });
});

describe('stored events', () => {
  it('replay after the integer part of lastEventId, optionally for one job', async () => {
    harness = await createHarness({ start: false });
    const a = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const b = await harness.manager.enqueue({ url: 'https://cdn.example/b.bin', folder: 'checkpoints' });
    await harness.manager.pause(a.jobId);
    await harness.manager.cancel(b.jobId);

    const all = await harness.manager.eventsAfter('0');
    expect(all.map((event) => event.id)).toEqual(['1', '2', '3', '4']);
    const afterProgress = await harness.manager.eventsAfter('2.17');
    expect(afterProgress.map((event) => [event.id, event.job?.status])).toEqual([
      ['3', 'paused'],
      ['4', 'cancelled'],
    ]);
    const forB = await harness.manager.eventsAfter('1', b.jobId);
    expect(forB.map((event) => event.id)).toEqual(['2', '4']);
    await expect(harness.manager.eventsAfter('nonsense')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('continue the numbering of a store that already holds events after a restart', async () => {
    harness = await createHarness({ start: false });
    const a = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    await harness.manager.pause(a.jobId);
    const restarted = await harness.another();
    await restarted.manager.enqueue({ url: 'https://cdn.example/b.bin', folder: 'other' });
    await restarted.transfer.call(0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(restarted.events.map((event) => `${event.type}:${event.id}`).slice(0, 3)).toEqual([
      'created:3',
      'status:4',
      'progress:4.1',
    ]);
  });

  it('page through long histories and reach every listener even if one throws', async () => {
    harness = await createHarness({ start: false });
    const broken = harness.manager.subscribe(() => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    const unsubscribe = harness.manager.subscribe((event) => seen.push(event.id));
    for (let index = 0; index < 520; index++) {
      await harness.store.appendEvent('x', 'updated', null, new Date());
    }
    await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    expect(seen).toEqual(['521']);
    expect(harness.logger.find('job event listener failed')).toBeDefined();
    expect(await harness.manager.eventsAfter('0')).toHaveLength(521);
    unsubscribe();
    broken();
    await harness.manager.enqueue({ url: 'https://cdn.example/b.bin', folder: 'checkpoints' });
    expect(seen).toEqual(['521']);
  });
});
