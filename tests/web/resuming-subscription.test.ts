import { describe, expect, it } from 'vitest';
import {
  RESUBSCRIBE_DELAY_MS,
  ResumingSubscription,
} from '../../apps/web/src/lib/api/resuming-subscription';
import type { StreamObserver, Timers } from '../../apps/web/src/lib/api/resuming-subscription';

interface Event {
  id: string;
  data: string;
}

/** Timers run by hand: `fire()` runs what is due, without waiting. */
class ManualTimers implements Timers {
  pending = new Map<number, { run: () => void; ms: number }>();
  #next = 0;
  set = (run: () => void, ms: number): unknown => {
    this.pending.set(++this.#next, { run, ms });
    return this.#next;
  };
  clear = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };
  fire(): void {
    const due = [...this.pending.entries()];
    this.pending.clear();
    for (const [, timer] of due) timer.run();
  }
}

function fixture() {
  const timers = new ManualTimers();
  const opened: { lastEventId: string | null; observer: StreamObserver<Event>; closed: boolean }[] = [];
  const seen: string[] = [];
  const errors: unknown[] = [];
  let started = 0;
  const stream = new ResumingSubscription<Event>({
    open: (lastEventId, observer) => {
      const entry = { lastEventId, observer, closed: false };
      opened.push(entry);
      return { unsubscribe: () => (entry.closed = true) };
    },
    onStarted: () => started++,
    onData: (event) => seen.push(event.data),
    onError: (error) => errors.push(error),
    timers,
  });
  return { timers, opened, seen, errors, stream, started: () => started };
}

describe('a resuming event subscription', () => {
  it('opens once however often it is started, and passes events and starts through', () => {
    const f = fixture();
    expect(f.stream.start()).toBe(true);
    expect(f.stream.start()).toBe(false);
    expect(f.opened).toHaveLength(1);
    expect(f.opened[0]!.lastEventId).toBeNull();
    f.opened[0]!.observer.onStarted();
    f.opened[0]!.observer.onData({ id: '1', data: 'a' });
    expect(f.started()).toBe(1);
    expect(f.seen).toEqual(['a']);
  });

  it('after an error, reports it and opens again after the delay from the last event delivered', () => {
    const f = fixture();
    f.stream.start();
    f.opened[0]!.observer.onData({ id: '7', data: 'a' });
    const failure = new Error('stream refused');
    f.opened[0]!.observer.onError(failure);
    f.opened[0]!.observer.onComplete();
    expect(f.errors).toEqual([failure]);
    expect([...f.timers.pending.values()].map((timer) => timer.ms)).toEqual([RESUBSCRIBE_DELAY_MS]);
    expect(f.opened).toHaveLength(1);
    f.timers.fire();
    expect(f.opened).toHaveLength(2);
    expect(f.opened[0]!.closed).toBe(true);
    expect(f.opened[1]!.lastEventId).toBe('7');
  });

  it('opens again when the server completes the stream, and never after a stop', () => {
    const f = fixture();
    f.stream.start();
    f.opened[0]!.observer.onComplete();
    f.timers.fire();
    expect(f.opened).toHaveLength(2);
    f.opened[1]!.observer.onComplete();
    f.stream.stop();
    expect(f.timers.pending.size).toBe(0);
    expect(f.opened[1]!.closed).toBe(true);
    f.opened[1]!.observer.onError(new Error('late'));
    f.timers.fire();
    expect(f.opened).toHaveLength(2);
    expect(f.stream.running).toBe(false);
  });
});
