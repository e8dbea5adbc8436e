/**
 * The server's event plumbing in-process: one subscriber's stream (replay, then live, nothing lost
 * or repeated) and the hub that merges this process's events with other processes' stored events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSystemClock, createTaskRunner } from '@modeldock/engine';
import type {
  TaskRunner,
  DownloadManager,
  JobEvent,
  JobEventListener,
  JobSummary,
  StoredJobEvent,
} from '@modeldock/engine';
import { waitFor } from '../e2e/api-client';
import { jobSummary } from '../support/factories';
import { subscribeToJobEvents, storedPart } from '../../apps/server/src/events/job-event-stream';
import { createJobEventHub } from '../../apps/server/src/events/job-event-hub';
import type { JobEventSource } from '../../apps/server/src/events/job-event-hub';

function event(
  id: string,
  jobId = 'job-a',
  type: JobEvent['type'] = id.includes('.') ? 'progress' : 'status',
): JobEvent {
  return { id, jobId, type, job: null };
}

/** A source whose replay answers only when the test says so, so live events can arrive meanwhile. */
function controllableSource() {
  const listeners = new Set<JobEventListener>();
  let answerReplay: (events: JobEvent[]) => void = () => undefined;
  const replayAsked: { lastEventId: string; jobId?: string }[] = [];
  const source: JobEventSource = {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    eventsAfter(lastEventId, jobId) {
      replayAsked.push({ lastEventId, jobId });
      return new Promise((resolve) => (answerReplay = resolve));
    },
  };
  return {
    source,
    listeners,
    replayAsked,
    emit: (value: JobEvent) => listeners.forEach((listener) => listener(value)),
    answerReplay: (events: JobEvent[]) => answerReplay(events),
  };
}

async function take(stream: AsyncGenerator<JobEvent>, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const next = await stream.next();
    if (next.done) break;
    ids.push(next.value.id);
  }
  return ids;
}

describe('job event stream', () => {
  it('replays stored events after lastEventId, then live ones, never sending a stored event twice', async () => {
    const fake = controllableSource();
    const abort = new AbortController();
    const stream = subscribeToJobEvents(fake.source, {
      jobId: undefined,
      lastEventId: '41.3',
      signal: abort.signal,
    });
    const first = stream.next();
    await Promise.resolve();
    // Arrives live while the replay runs, and is also in the replay.
    fake.emit(event('43'));
    fake.emit(event('44'));
    fake.answerReplay([event('42'), event('43')]);
    expect((await first).value?.id).toBe('42');
    expect(await take(stream, 2)).toEqual(['43', '44']);
    expect(fake.replayAsked).toEqual([{ lastEventId: '41.3', jobId: undefined }]);
    abort.abort();
    expect((await stream.next()).done).toBe(true);
    expect(fake.listeners.size).toBe(0);
  });

  it('does not lose a stored event that committed out of order (46 replayed, 45 arriving live)', async () => {
    const fake = controllableSource();
    const stream = subscribeToJobEvents(fake.source, {
      jobId: undefined,
      lastEventId: '44',
      signal: undefined,
    });
    const first = stream.next();
    await Promise.resolve();
    fake.emit(event('45'));
    fake.answerReplay([event('46')]);
    expect((await first).value?.id).toBe('46');
    expect(await take(stream, 1)).toEqual(['45']);
    await stream.return(undefined);
  });

  it('drops progress that queued up during the replay but predates a status change it sent; later progress flows', async () => {
    const fake = controllableSource();
    const stream = subscribeToJobEvents(fake.source, {
      jobId: undefined,
      lastEventId: '10',
      signal: undefined,
    });
    const first = stream.next();
    await Promise.resolve();
    fake.emit(event('11.4'));
    fake.emit(event('11.5', 'job-b'));
    fake.answerReplay([event('12')]);
    expect((await first).value?.id).toBe('12');
    // job-b had no newer status change in the replay: its progress is current.
    expect(await take(stream, 1)).toEqual(['11.5']);
    fake.emit(event('12.1'));
    fake.emit(event('11.9'));
    expect(await take(stream, 2)).toEqual(['12.1', '11.9']);
    await stream.return(undefined);
  });

  it('filters by job and asks the replay for that job only; without lastEventId there is no replay', async () => {
    const fake = controllableSource();
    const stream = subscribeToJobEvents(fake.source, {
      jobId: 'job-b',
      lastEventId: null,
      signal: undefined,
    });
    const first = stream.next();
    await Promise.resolve();
    fake.emit(event('5', 'job-a'));
    fake.emit(event('6', 'job-b'));
    expect((await first).value?.id).toBe('6');
    expect(fake.replayAsked).toEqual([]);
    await stream.return(undefined);
    expect(fake.listeners.size).toBe(0);
  });

  it('reads the stored part of ids', () => {
    expect(storedPart('42')).toBe(42n);
    expect(storedPart('42.7')).toBe(42n);
    expect(storedPart('junk')).toBe(0n);
  });
});

describe('job event hub', () => {
  function fakeManager(runningJobs: () => JobSummary[] = () => []) {
    const listeners = new Set<JobEventListener>();
    const manager = {
      subscribe(listener: JobEventListener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      eventsAfter: async (lastEventId: string) => [event(`${Number(lastEventId) + 1}`)],
      listJobs: async () => ({ items: runningJobs(), nextCursor: null }),
    } as unknown as DownloadManager;
    return {
      manager,
      listeners,
      emit: (value: JobEvent) => listeners.forEach((listener) => listener(value)),
    };
  }

  function fakeWatch() {
    const listeners = new Set<(event: StoredJobEvent) => void>();
    return {
      watch: (listener: (event: StoredJobEvent) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      listeners,
      emit: (id: string, jobId = 'job-x') =>
        listeners.forEach((listener) =>
          listener({ id, jobId, type: 'status', job: null, createdAt: new Date() }),
        ),
    };
  }

  const runners: TaskRunner[] = [];
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
  });

  function shared(
    watch: ReturnType<typeof fakeWatch>['watch'],
    remoteProgressIntervalMs: number | null = null,
  ) {
    const clock = createSystemClock();
    const tasks = createTaskRunner({ clock, logger: console });
    tasks.start();
    runners.push(tasks);
    return {
      options: {
        watchStoredEvents: watch,
        latestStoredEventId: async () => '30',
        remoteProgressIntervalMs,
        tasks,
        clock,
      },
    };
  }

  function runningJob(id: string, bytesDone: number): JobSummary {
    return jobSummary({ id, status: 'running', bytesDone });
  }

  it('merges local events with other processes’ stored events, delivering a stored event once', async () => {
    const local = fakeManager();
    const others = fakeWatch();
    const hub = createJobEventHub(local.manager, shared(others.watch).options);
    const received: string[] = [];
    hub.subscribe((value) => received.push(value.id));

    local.emit(event('7'));
    others.emit('7'); // our own event, echoed back by the database
    others.emit('8'); // appended by another process
    local.emit(event('8.1'));
    local.emit(event('8.1')); // progress ids are not de-duplicated: each is a fresh reading
    expect(received).toEqual(['7', '8', '8.1', '8.1']);
    expect(await hub.eventsAfter('3')).toEqual([event('4')]);

    hub.close();
    expect(local.listeners.size).toBe(0);
    expect(others.listeners.size).toBe(0);
  });

  it('publishes progress of jobs another process runs while someone listens, and not of its own', async () => {
    let remoteBytes = 100;
    const local = fakeManager(() => [
      runningJob('remote-job', remoteBytes),
      runningJob('local-job', 5),
    ]);
    const others = fakeWatch();
    const hub = createJobEventHub(local.manager, shared(others.watch, 40).options);
    const received: JobEvent[] = [];
    // This process runs local-job and keeps reporting it.
    const reporting = setInterval(() => local.emit(event('31.1', 'local-job')), 10);
    local.emit(event('31.1', 'local-job'));
    hub.subscribe((value) => received.push(value));

    await waitFor(() => received.some((value) => value.jobId === 'remote-job'), 'remote progress');
    const first = received.find((value) => value.jobId === 'remote-job')!;
    expect(first).toMatchObject({ type: 'progress', job: { bytesDone: 100 } });
    // Numbered after the newest stored id this process has seen, so a reconnect replays from there.
    expect(first.id).toMatch(/^30\.\d+$/);

    remoteBytes = 300;
    others.emit('35', 'remote-job');
    await waitFor(() => received.some((value) => value.job?.bytesDone === 300), 'moved progress');
    expect(received.find((value) => value.job?.bytesDone === 300)!.id).toMatch(/^35\.\d+$/);
    // Unchanged bytes are not repeated, and this process's own job is left to its own events.
    const remoteReadings = received.filter(
      (value) => value.jobId === 'remote-job' && value.type === 'progress',
    );
    expect(remoteReadings.map((value) => value.job?.bytesDone)).toEqual([100, 300]);
    clearInterval(reporting);
    expect(
      received.filter((value) => value.jobId === 'local-job' && !value.id.startsWith('31.')),
    ).toEqual([]);
    hub.close();
  });

  it('does not look at other processes’ jobs when nobody listens or when the database is not shared', async () => {
    let looks = 0;
    const counting = fakeManager(() => {
      looks++;
      return [];
    });
    const idle = createJobEventHub(counting.manager, shared(fakeWatch().watch, 10).options);
    const single = createJobEventHub(counting.manager, shared(fakeWatch().watch, null).options);
    single.subscribe(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(looks).toBe(0);
    idle.close();
    single.close();
  });

  it('keeps delivering to other subscribers when one throws', () => {
    const local = fakeManager();
    const hub = createJobEventHub(local.manager);
    const received: string[] = [];
    hub.subscribe(() => {
      throw new Error('broken subscriber');
    });
    const unsubscribe = hub.subscribe((value) => received.push(value.id));
    local.emit(event('1'));
    unsubscribe();
    local.emit(event('2'));
    expect(received).toEqual(['1']);
  });
});
