/**
 * Keeps the download manager's global limit equal to what the settings say now: the manual limit, or
 * the limit of the bandwidth window the server's local time is in. A task on the runner applies it at
 * start, at every window edge (on the injected clock) and whenever the settings change.
 */
import type { Clock } from '../ports';
import type { TaskRunner } from '../tasks/task-runner';
import type { AppSettingsService } from '../settings/app-settings-service';
import { effectiveBandwidthLimit, localMinuteOfDay, msUntilNextBoundary } from './bandwidth-windows';
import type { EffectiveBandwidthLimit } from './bandwidth-windows';

export const BANDWIDTH_SCHEDULE_TASK = 'bandwidth-schedule';
/** Looked at again at least this often without windows edges (a clock change, daylight saving). */
const RECHECK_MS = 60 * 60_000;

export interface BandwidthScheduleOptions {
  settings: AppSettingsService;
  clock: Clock;
  runner: TaskRunner;
  /** Sets the limiter every download shares (the manager's `setGlobalBandwidthLimit`). */
  apply(bytesPerSecond: number | null): void;
  /** The time of day in minutes for an instant; default: the server's local time zone. */
  minuteOfDay?: (epochMs: number) => number;
}

export interface BandwidthLimitView extends EffectiveBandwidthLimit {
  /** The limit set by hand (in force outside windows). */
  manualBps: number | null;
}

export interface BandwidthSchedule {
  /** The limit in force now, with where it comes from. */
  current(): BandwidthLimitView;
  stop(): void;
}

export function startBandwidthSchedule(options: BandwidthScheduleOptions): BandwidthSchedule {
  const { settings, clock, runner } = options;
  const minuteOfDay = options.minuteOfDay ?? localMinuteOfDay;
  let applied: number | null | undefined;

  function current(): BandwidthLimitView {
    const { bandwidth } = settings.current();
    return { ...effectiveBandwidthLimit(bandwidth.globalLimitBps, bandwidth.windows, minuteOfDay(clock.now())), manualBps: bandwidth.globalLimitBps };
  }

  function applyNow(): void {
    const { bps } = current();
    if (bps === applied) return;
    applied = bps;
    options.apply(bps);
  }

  runner.register({
    name: BANDWIDTH_SCHEDULE_TASK,
    schedule: {
      delay: () => Math.min(msUntilNextBoundary(settings.current().bandwidth.windows, minuteOfDay(clock.now())) ?? RECHECK_MS, RECHECK_MS),
    },
    async run() {
      applyNow();
    },
  });
  const unsubscribe = settings.subscribe(() => {
    applyNow();
    // The wait until the next edge depends on the windows: compute it again.
    runner.trigger(BANDWIDTH_SCHEDULE_TASK);
  });
  applyNow();

  return {
    current,
    stop() {
      unsubscribe();
      void runner.remove(BANDWIDTH_SCHEDULE_TASK);
    },
  };
}
