/** The one settings object (`settings.get` / `settings.update`) and the bandwidth it schedules. */
export * from './app-settings';
export { createAppSettings } from './app-settings-service';
export type { AppSettingsService, AppSettingsServiceOptions } from './app-settings-service';
export * from '../bandwidth/bandwidth-windows';
export { startBandwidthSchedule, BANDWIDTH_SCHEDULE_TASK } from '../bandwidth/bandwidth-schedule';
export type { BandwidthLimitView, BandwidthSchedule, BandwidthScheduleOptions } from '../bandwidth/bandwidth-schedule';
