/**
 * Keys saved while their platform could not be reached are checked again later, with a growing
 * delay (1 min, 2, 4, … up to an hour by default), until the platform answers, the key is replaced
 * or removed, or the server stops. Each pending check is a one-off task on the server's
 * TaskRunner (`api-key-recheck:<platform>`), retried with its backoff.
 */
import type { TaskRunner } from '@modeldock/engine';
import type { ApiKeyPlatform } from './api-key-platforms';

export interface RecheckDelays {
  firstMs: number;
  maxMs: number;
}

/** 'again' when the platform still could not be asked. */
export type RecheckOutcome = 'done' | 'again';

export interface KeyRecheckSchedule {
  /** (Re)starts checking this saved version of the platform's key. */
  schedule(platform: ApiKeyPlatform, version: string, options?: { immediately?: boolean }): void;
  cancel(platform: ApiKeyPlatform): void;
  /** The wait before the next check should the current one fail; null when nothing is scheduled. */
  nextDelayMs(platform: ApiKeyPlatform): number | null;
  /** Cancels every pending check and waits for a check under way. */
  close(): Promise<void>;
}

export interface KeyRecheckScheduleOptions {
  delays?: Partial<RecheckDelays>;
  tasks: TaskRunner;
  recheck(platform: ApiKeyPlatform, version: string): Promise<RecheckOutcome>;
}

export const DEFAULT_RECHECK_DELAYS: RecheckDelays = { firstMs: 60_000, maxMs: 60 * 60_000 };

export function recheckTaskName(platform: ApiKeyPlatform): string {
  return `api-key-recheck:${platform}`;
}

export function createKeyRecheckSchedule(options: KeyRecheckScheduleOptions): KeyRecheckSchedule {
  const { tasks } = options;
  const delays = { ...DEFAULT_RECHECK_DELAYS, ...options.delays };
  /** Platforms whose check was scheduled here, for close(). */
  const scheduled = new Set<ApiKeyPlatform>();
  let closed = false;

  /** The wait after `checks` checks: firstMs · 2^checks, at most maxMs. */
  const delayFor = (checks: number) =>
    Math.min(delays.firstMs * 2 ** Math.min(checks, 30), delays.maxMs);

  function cancel(platform: ApiKeyPlatform): void {
    scheduled.delete(platform);
    // Not awaited: a check under way may itself cancel (it recorded an outcome).
    void tasks.remove(recheckTaskName(platform));
  }

  return {
    schedule(platform, version, scheduleOptions = {}) {
      if (closed) return;
      cancel(platform);
      scheduled.add(platform);
      tasks.register({
        name: recheckTaskName(platform),
        schedule: { once: scheduleOptions.immediately ? 0 : delayFor(0) },
        // After the n-th unanswered check, wait firstMs · 2^n.
        backoff: { firstMs: Math.min(delays.firstMs * 2, delays.maxMs), maxMs: delays.maxMs },
        failureMessage: 'Checking a saved API key again failed',
        run: async () => ((await options.recheck(platform, version)) === 'again' ? 'retry' : undefined),
      });
    },
    cancel,
    nextDelayMs(platform) {
      // A finished check's task is gone: nothing is scheduled.
      const status = tasks.status(recheckTaskName(platform));
      return status ? delayFor(status.runs) : null;
    },
    async close() {
      closed = true;
      await Promise.all([...scheduled].map((platform) => tasks.remove(recheckTaskName(platform))));
      scheduled.clear();
    },
  };
}
