export { createTaskRunner } from './task-runner';
export type { TaskRunner, TaskRunnerPorts } from './task-runner';
export { backoffDelay } from './task';
export type * from './task';
