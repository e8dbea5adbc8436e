/**
 * Keys saved while their platform could not be reached are checked again later, with a growing
 * delay (1 min, 2, 4, … up to an hour by default), until the platform answers, the key is replaced
 * or removed, or the server stops.
 */
import type { Logger } from '@modeldock/engine';
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
  /** Cancels every timer and waits for a check under way. */
  close(): Promise<void>;
}

export interface KeyRecheckScheduleOptions {
  delays?: Partial<RecheckDelays>;
  logger: Logger;
  recheck(platform: ApiKeyPlatform, version: string): Promise<RecheckOutcome>;
}

interface Entry {
  version: string;
  /** Checks already started. */
  attempts: number;
  timer: NodeJS.Timeout | null;
}

export const DEFAULT_RECHECK_DELAYS: RecheckDelays = { firstMs: 60_000, maxMs: 60 * 60_000 };

export function createKeyRecheckSchedule(options: KeyRecheckScheduleOptions): KeyRecheckSchedule {
  const delays = { ...DEFAULT_RECHECK_DELAYS, ...options.delays };
  const entries = new Map<ApiKeyPlatform, Entry>();
  const running = new Set<Promise<void>>();
  let closed = false;

  const delayFor = (attempts: number) =>
    Math.min(delays.firstMs * 2 ** Math.min(attempts, 30), delays.maxMs);

  function arm(platform: ApiKeyPlatform, entry: Entry, delayMs: number): void {
    entry.timer = setTimeout(() => {
      entry.timer = null;
      const run = fire(platform, entry);
      running.add(run);
      void run.finally(() => running.delete(run));
    }, delayMs);
    // A pending check must never keep a stopping process alive.
    entry.timer.unref();
  }

  async function fire(platform: ApiKeyPlatform, entry: Entry): Promise<void> {
    entry.attempts++;
    let outcome: RecheckOutcome;
    try {
      outcome = await options.recheck(platform, entry.version);
    } catch (error) {
      if (closed) return;
      options.logger.warn({ platform, err: error }, 'Checking a saved API key again failed');
      outcome = 'again';
    }
    if (entries.get(platform) !== entry) return;
    if (outcome === 'done' || closed) {
      entries.delete(platform);
      return;
    }
    arm(platform, entry, delayFor(entry.attempts));
  }

  function cancel(platform: ApiKeyPlatform): void {
    const entry = entries.get(platform);
    if (entry?.timer) clearTimeout(entry.timer);
    entries.delete(platform);
  }

  return {
    schedule(platform, version, scheduleOptions = {}) {
      if (closed) return;
      cancel(platform);
      const entry: Entry = { version, attempts: 0, timer: null };
      entries.set(platform, entry);
      arm(platform, entry, scheduleOptions.immediately ? 0 : delayFor(0));
    },
    cancel,
    nextDelayMs(platform) {
      const entry = entries.get(platform);
      return entry ? delayFor(entry.attempts) : null;
    },
    async close() {
      closed = true;
      for (const platform of [...entries.keys()]) cancel(platform);
      await Promise.allSettled([...running]);
    },
  };
}
