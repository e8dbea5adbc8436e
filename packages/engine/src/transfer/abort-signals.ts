/** Stopping a transfer: the job layer aborts with a reason (pause, cancel, shutdown, lost lease). */
import { ModeldockError } from '../errors';

/** The error a stopped transfer throws: the job layer's own reason when it gave a ModeldockError. */
export function stopError(signal: AbortSignal): ModeldockError {
  const reason: unknown = signal.reason;
  if (reason instanceof ModeldockError) return reason;
  return new ModeldockError('CANCELLED', 'The download was stopped', { cause: reason });
}

export interface ChildController {
  controller: AbortController;
  /** Detaches from the parent; call when the child's work is over. */
  release(): void;
}

/** An AbortController that also aborts (with the parent's reason) when `parent` does. */
export function childController(parent: AbortSignal): ChildController {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, release: () => undefined };
  }
  const forward = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', forward, { once: true });
  return { controller, release: () => parent.removeEventListener('abort', forward) };
}
