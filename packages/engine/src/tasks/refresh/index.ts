/** Durable refresh tasks: stored, leased, resumable background work with progress. */
export * from './refresh-task';
export { createRefreshTasks } from './refresh-tasks';
export type { RefreshTasks, RefreshTasksOptions, TaskListQuery } from './refresh-tasks';
export { createRefreshTaskWorker } from './refresh-task-worker';
export type { RefreshTaskWorker, RefreshTaskWorkerOptions, TaskHandler, TaskRunContext } from './refresh-task-worker';
