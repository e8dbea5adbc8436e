/**
 * Background tasks (library scans, metadata refreshes) and library changes, live from
 * `library.events`: the list is fetched with `tasks.list` whenever the stream (re)starts, then kept
 * current by task events. `entriesVersion` moves on every "entries changed" event so a page showing
 * entries knows to load them again.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { Unsubscribable } from '@trpc/server/observable';
import { api } from '$lib/api/trpc-client';
import { attempt } from '$lib/api/outcome';
import type { Outcome } from '$lib/api/outcome';
import type { Task } from '$lib/api/types';

const RESUBSCRIBE_DELAY_MS = 2_000;
const SHOWN_TASKS = 30;

export function isOpenTask(task: Pick<Task, 'status'>): boolean {
  return task.status === 'pending' || task.status === 'running';
}

/** Newest first, open tasks before finished ones. */
export function orderTasks(tasks: Task[]): Task[] {
  return [...tasks].sort((a, b) => {
    const open = Number(isOpenTask(b)) - Number(isOpenTask(a));
    return open !== 0 ? open : b.createdAt.localeCompare(a.createdAt);
  });
}

class TasksStore {
  readonly #tasks = new SvelteMap<string, Task>();
  #subscription: Unsubscribable | null = null;
  #lastEventId: string | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running = false;

  entriesVersion = $state(0);
  streamError = $state<string | null>(null);

  readonly all = $derived(orderTasks([...this.#tasks.values()]).slice(0, SHOWN_TASKS));
  readonly open = $derived(this.all.filter(isOpenTask));

  start(): () => void {
    if (!this.#running) {
      this.#running = true;
      this.#subscribe();
    }
    return () => this.stop();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#subscription?.unsubscribe();
    this.#subscription = null;
  }

  upsert(task: Task): void {
    this.#tasks.set(task.id, task);
  }

  async cancel(taskId: string): Promise<Outcome<Task>> {
    const outcome = await attempt(() => api.tasks.cancel.mutate({ taskId }));
    if (outcome.ok) this.upsert(outcome.value);
    return outcome;
  }

  async refresh(): Promise<void> {
    const outcome = await attempt(() => api.tasks.list.query({ limit: SHOWN_TASKS }));
    if (outcome.ok) for (const task of outcome.value) this.upsert(task);
  }

  #subscribe(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = api.library.events.subscribe(
      { lastEventId: this.#lastEventId },
      {
        onStarted: () => {
          this.streamError = null;
          void this.refresh();
        },
        onData: (tracked) => {
          this.#lastEventId = tracked.id;
          const event = tracked.data;
          if (event.type === 'task') this.upsert(event.task);
          else if (event.type === 'snapshot') for (const task of event.tasks) this.upsert(task);
          if (event.type === 'entries' || event.type === 'snapshot') this.entriesVersion++;
        },
        onError: (error) => {
          this.streamError = error.message;
          this.#later();
        },
        onComplete: () => this.#later(),
      },
    );
  }

  #later(): void {
    if (!this.#running || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#running) this.#subscribe();
    }, RESUBSCRIBE_DELAY_MS);
  }
}

export const tasks = new TasksStore();
