/** How a background task reads in the Tasks panel. */
import type { Task } from '../api/types';

const KIND_LABELS: Record<string, string> = {
  scan: 'Scan of the models folder',
  metadata: 'Metadata refresh',
  preview: 'Preview recovery',
  full: 'Full refresh',
  'update-check': 'Update check',
  sidecars: 'Reading sidecars of new models',
};

export function describeTask(task: Pick<Task, 'kind' | 'targets'>): string {
  const label = KIND_LABELS[task.kind] ?? task.kind;
  if (task.targets.scope === 'incomplete') return `${label} (incomplete models)`;
  return task.targets.scope === 'entries'
    ? `${label} (${task.targets.ids.length} ${task.targets.ids.length === 1 ? 'model' : 'models'})`
    : label;
}

/** Percent done, or null while the total is not known yet (an indeterminate bar). */
export function taskPercent(task: Pick<Task, 'done' | 'total' | 'status'>): number | null {
  if (task.status === 'completed') return 100;
  if (task.total <= 0) return null;
  return Math.min(100, Math.round((task.done / task.total) * 100));
}

/** "12 / 40", or what a task with nothing to count means: still looking, or nothing needed doing. */
export function taskProgressText(task: Pick<Task, 'done' | 'total' | 'status'>): string {
  if (task.total > 0) return `${task.done} / ${task.total}`;
  if (task.status === 'pending') return 'Waiting to start';
  if (task.status === 'running') return 'Looking for changes…';
  return task.status === 'completed' ? 'Nothing needed doing' : '—';
}
