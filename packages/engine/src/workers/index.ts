export {
  createWorkerPresence,
  FORGET_WORKERS_AFTER_MS,
  WORKER_HEARTBEAT_TASK,
} from './worker-presence';
export type { WorkerPresence, WorkerPresenceOptions, WorkerView } from './worker-presence';
export { isValidNodeName, validateNodeName } from './node-name';
