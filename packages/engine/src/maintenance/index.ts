/** Scheduled maintenance (scan, recovery, update checks), its reports, and job retention. */
export * from './maintenance-store';
export { buildMaintenanceReport, measureMaintenanceCounts } from './maintenance-report';
export { createMaintenanceScheduler, MAINTENANCE_TASK } from './maintenance-scheduler';
export type { MaintenanceActions, MaintenanceScheduler, MaintenanceSchedulerOptions, MaintenanceStatus } from './maintenance-scheduler';
export { startJobRetention, JOB_RETENTION_TASK } from './job-retention';
export type { JobRetention, JobRetentionOptions } from './job-retention';
