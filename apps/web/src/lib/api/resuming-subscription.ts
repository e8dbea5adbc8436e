/**
 * A live event stream that survives the server ending it: when the stream completes or fails, it
 * is opened again after a pause, from the last event it delivered (`lastEventId`), until stopped.
 * The WebSocket itself reconnects inside the client; this covers the server closing one stream.
 */
import type { Unsubscribable } from '@trpc/server/observable';

/** When the server ends the event stream, ask again after this long. */
export const RESUBSCRIBE_DELAY_MS = 2_000;

/** What the server sends: `{ id, data }`, where `id` is what a resubscription resumes from. */
export interface TrackedEvent {
  id: string;
}

export interface StreamObserver<TEvent extends TrackedEvent> {
  onStarted: () => void;
  onData: (event: TEvent) => void;
  onError: (error: unknown) => void;
  onComplete: () => void;
}

export interface Timers {
  set: (run: () => void, ms: number) => unknown;
  clear: (handle: unknown) => void;
}

const browserTimers: Timers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ResumingSubscriptionOptions<TEvent extends TrackedEvent> {
  /** Opens the stream, resuming after `lastEventId` (null: from now). */
  open: (lastEventId: string | null, observer: StreamObserver<TEvent>) => Unsubscribable;
  /** The server is listening from here on: a list fetched now misses nothing. */
  onStarted: () => void;
  onData: (event: TEvent) => void;
  /** The server refused or broke the stream; it is opened again shortly. */
  onError: (error: unknown) => void;
  delayMs?: number;
  timers?: Timers;
}

export class ResumingSubscription<TEvent extends TrackedEvent> {
  readonly #options: ResumingSubscriptionOptions<TEvent>;
  readonly #timers: Timers;
  #subscription: Unsubscribable | null = null;
  #lastEventId: string | null = null;
  #timer: unknown = null;
  #running = false;

  constructor(options: ResumingSubscriptionOptions<TEvent>) {
    this.#options = options;
    this.#timers = options.timers ?? browserTimers;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Opens the stream unless it is already open; returns false when it was. */
  start(): boolean {
    if (this.#running) return false;
    this.#running = true;
    this.#open();
    return true;
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    this.#subscription?.unsubscribe();
    this.#subscription = null;
  }

  #open(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = this.#options.open(this.#lastEventId, {
      onStarted: () => this.#options.onStarted(),
      onData: (event) => {
        this.#lastEventId = event.id;
        this.#options.onData(event);
      },
      onError: (error) => {
        this.#options.onError(error);
        this.#openLater();
      },
      onComplete: () => this.#openLater(),
    });
  }

  #openLater(): void {
    if (!this.#running || this.#timer !== null) return;
    this.#timer = this.#timers.set(() => {
      this.#timer = null;
      if (this.#running) this.#open();
    }, this.#options.delayMs ?? RESUBSCRIBE_DELAY_MS);
  }
}
