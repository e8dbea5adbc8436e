/**
 * Background tasks (library scans, metadata refreshes) and library changes, live from
 * `library.events`: the list is fetched with `tasks.list` whenever the stream (re)starts, then kept
 * current by task events. `entriesVersion` moves on every "entries changed" event so a page showing
 * entries knows to load them again.
 */
import { SvelteMap } from 'svelte/reactivity';
import { api } from '$lib/api/trpc-client';
import { ResumingSubscription } from '$lib/api/resuming-subscription';
import { attempt } from '$lib/api/outcome';
import type { Outcome } from '$lib/api/outcome';
import type { Task, TrackedLibraryEvent } from '$lib/api/types';

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
  readonly #stream = new ResumingSubscription<TrackedLibraryEvent>({
    open: (lastEventId, observer) => api.library.events.subscribe({ lastEventId }, observer),
    onStarted: () => {
      this.streamError = null;
      void this.refresh();
    },
    onData: (tracked) => {
      const event = tracked.data;
      if (event.type === 'task') this.upsert(event.task);
      else if (event.type === 'snapshot') for (const task of event.tasks) this.upsert(task);
      if (event.type === 'entries' || event.type === 'snapshot') this.entriesVersion++;
    },
    onError: (error) => {
      this.streamError = error instanceof Error ? error.message : String(error);
    },
  });

  entriesVersion = $state(0);
  streamError = $state<string | null>(null);

  readonly all = $derived(orderTasks([...this.#tasks.values()]).slice(0, SHOWN_TASKS));
  readonly open = $derived(this.all.filter(isOpenTask));

  start(): () => void {
    this.#stream.start();
    return () => this.stop();
  }

  stop(): void {
    this.#stream.stop();
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
}

export const tasks = new TasksStore();
