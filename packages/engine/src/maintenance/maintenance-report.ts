/** What a finished maintenance run did, from the library counts before and after it. */
import type { Task } from '../tasks/refresh/refresh-task';
import type { MaintenanceKind } from '../settings/app-settings';
import type { MaintenanceCounts, MaintenanceReport } from './maintenance-store';

const KIND_LABEL: Record<MaintenanceKind, string> = {
  scan: 'Library scan',
  recovery: 'Metadata and preview recovery',
  updates: 'Update check',
};

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function buildMaintenanceReport(input: {
  kind: MaintenanceKind;
  task: Task;
  userInitiated: boolean;
  startedAt: Date;
  finishedAt: Date;
  before: MaintenanceCounts | null;
  after: MaintenanceCounts;
}): MaintenanceReport {
  const { after } = input;
  const before = input.before ?? after;
  const status = input.task.status === 'failed' ? 'failed' : input.task.status === 'cancelled' ? 'cancelled' : 'completed';
  const report = {
    kind: input.kind,
    taskId: input.task.id,
    status,
    userInitiated: input.userInitiated,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    updatesFound: after.updatesAvailable,
    previewsRecovered: Math.max(0, before.noPreview - after.noPreview),
    metadataRecovered: Math.max(0, before.incomplete - after.incomplete),
    modelsMissing: after.missing,
    newlyMissing: Math.max(0, after.missing - before.missing),
    stillIncomplete: after.incomplete,
    errors: input.task.errorCount,
  } satisfies Omit<MaintenanceReport, 'summary' | 'notable'>;
  const notable =
    report.userInitiated ||
    status !== 'completed' ||
    report.previewsRecovered > 0 ||
    report.metadataRecovered > 0 ||
    report.newlyMissing > 0 ||
    (input.kind === 'updates' && report.updatesFound > 0);
  const parts = [
    plural(report.updatesFound, 'update') + ' found',
    plural(report.previewsRecovered, 'preview') + ' recovered',
    plural(report.modelsMissing, 'model') + ' missing',
  ];
  if (report.metadataRecovered > 0) parts.splice(2, 0, `${plural(report.metadataRecovered, 'model')} described`);
  if (report.errors > 0) parts.push(plural(report.errors, 'error'));
  const ended = status === 'completed' ? '' : ` (${status})`;
  return { ...report, notable, summary: `${KIND_LABEL[input.kind]}${ended}: ${parts.join(', ')}` };
}

/** Library counts for a report, from the metadata summary and the entries whose file is gone. */
export async function measureMaintenanceCounts(ports: {
  summary(): Promise<{ updateAvailable: number; noPreview: number; partial: number; minimal: number }>;
  countMissing(): Promise<number>;
}): Promise<MaintenanceCounts> {
  const summary = await ports.summary();
  return {
    updatesAvailable: summary.updateAvailable,
    noPreview: summary.noPreview,
    incomplete: summary.partial + summary.minimal,
    missing: await ports.countMissing(),
  };
}
