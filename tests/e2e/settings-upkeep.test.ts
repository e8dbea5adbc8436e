/**
 * Settings, the bandwidth limit and scheduled maintenance on the built server: settings.get/update
 * round trip, a bad change refused naming the field with nothing changed, the global limit and a
 * bandwidth window stored so they hold after a restart (limits says which is in force), and a
 * maintenance run the user asks for that ends with its report and a `maintenance.report` notification.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { connectHttp, failureOf, waitFor } from './api-client';
import type { Api } from './api-client';

/** A window that covers the server's current local time, whatever the clock says (2 h around now). */
function windowAroundNow(): { start: string; end: string } {
  const now = new Date();
  const hhmm = (date: Date) => `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  return { start: hhmm(new Date(now.getTime() - 3_600_000)), end: hhmm(new Date(now.getTime() + 3_600_000)) };
}

describe('settings and upkeep on the built server', () => {
  let folders: Awaited<ReturnType<typeof createServerFolders>>;
  let server: ServerProcess;
  let api: Api;

  beforeAll(async () => {
    folders = await createServerFolders();
    server = await startServerProcess({ folders });
    api = connectHttp(server.url);
  }, 180_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await folders?.remove();
  });

  it('round-trips the settings, refuses a bad change by field without changing anything, and keeps them after a restart', async () => {
    const defaults = await api.settings.get.query();
    expect(defaults).toMatchObject({
      maintenance: { scan: { enabled: true }, recovery: { enabled: true, intervalMinutes: 1440 }, updates: { enabled: true, intervalMinutes: 1440 } },
      bandwidth: { globalLimitBps: null, windows: [] },
      retention: { finishedJobsHours: 24, failedJobsDays: 7 },
      metadata: { writeSidecars: true },
    });
    expect(typeof defaults.timeZone).toBe('string');

    const window = { ...windowAroundNow(), limitBps: 2_000_000 };
    const updated = await api.settings.update.mutate({
      maintenance: { updates: { enabled: false }, recovery: { intervalMinutes: 720 } },
      bandwidth: { windows: [window] },
      retention: { finishedJobsHours: 48 },
      metadata: { writeA1111: true },
    });
    expect(updated).toMatchObject({ maintenance: { updates: { enabled: false }, recovery: { intervalMinutes: 720 } }, bandwidth: { windows: [window] }, retention: { finishedJobsHours: 48 } });
    // The old Settings → Metadata call sees the same stored value.
    expect(await api.settings.metadata.get.query()).toMatchObject({ writeA1111: true });

    const overlapping = await failureOf(
      api.settings.update.mutate({
        retention: { finishedJobsHours: 1 },
        bandwidth: { windows: [window, { start: window.start, end: window.end, limitBps: null }] },
      }),
    );
    expect(overlapping).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT', message: expect.stringMatching(/^bandwidth\.windows\[1\]: overlaps/) });
    const badInterval = await failureOf(api.settings.update.mutate({ maintenance: { scan: { intervalMinutes: 1 } } }));
    expect(badInterval).toMatchObject({ httpStatus: 400, message: expect.stringMatching(/^maintenance\.scan\.intervalMinutes:/) });
    expect(await failureOf(api.settings.update.mutate({ bandwidth: { windows: [{ start: '25:00', end: '01:00', limitBps: 1 }] } }))).toMatchObject({
      httpStatus: 400,
      message: expect.stringMatching(/^bandwidth\.windows\[0\]\.start:/),
    });
    expect((await api.settings.get.query()).retention.finishedJobsHours).toBe(48);

    // The manual limit is stored; the window is in force now, so it says so.
    await api.downloads.setGlobalBandwidthLimit.mutate({ bytesPerSecond: 750_000 });
    expect(await api.downloads.limits.query()).toMatchObject({ globalBps: 2_000_000, source: 'window', manualBps: 750_000, window });

    await server.stop('SIGTERM');
    server = await startServerProcess({ folders });
    api = connectHttp(server.url);
    expect(await api.settings.get.query()).toMatchObject({
      maintenance: { updates: { enabled: false }, recovery: { intervalMinutes: 720 } },
      bandwidth: { globalLimitBps: 750_000, windows: [window] },
      retention: { finishedJobsHours: 48 },
    });
    expect(await api.downloads.limits.query()).toMatchObject({ globalBps: 2_000_000, source: 'window', manualBps: 750_000 });
    await api.settings.update.mutate({ bandwidth: { windows: [] } });
    expect(await api.downloads.limits.query()).toMatchObject({ globalBps: 750_000, source: 'manual', window: null });
  }, 180_000);

  it('shows the schedule and runs maintenance when asked, with a report at the end', async () => {
    const status = await api.maintenance.status.query();
    expect(status.map((item) => item.kind)).toEqual(['scan', 'recovery', 'updates']);
    expect(status.find((item) => item.kind === 'updates')).toMatchObject({ enabled: false, nextRunAt: null });
    expect(status.find((item) => item.kind === 'scan')?.nextRunAt).toEqual(expect.any(String));

    const { taskId } = await api.maintenance.run.mutate({ kind: 'scan' });
    const done = await waitFor(async () => {
      const scan = (await api.maintenance.status.query()).find((item) => item.kind === 'scan');
      return scan?.lastReport?.taskId === taskId ? scan : null;
    }, 'the report of the scan');
    expect(done.lastReport).toMatchObject({ kind: 'scan', status: 'completed', userInitiated: true, modelsMissing: 0, summary: expect.stringMatching(/^Library scan: /) });
    // The notification centre has it, once (a scheduled scan may have run too: the seeded database is older than 30 min).
    const notified = await waitFor(async () => {
      const { items } = await api.notifications.list.query();
      const found = items.filter((item) => item.event === 'maintenance.report' && JSON.stringify(item.subject.taskIds) === JSON.stringify([taskId]));
      return found.length > 0 ? found : null;
    }, 'the maintenance.report notification');
    expect(notified).toEqual([
      expect.objectContaining({ message: '0 updates, 0 previews recovered, 0 models missing', subject: expect.objectContaining({ type: 'maintenance', taskIds: [taskId] }) }),
    ]);
    expect(await failureOf(api.maintenance.run.mutate({ kind: 'backup' as 'scan' }))).toMatchObject({ httpStatus: 400 });
  }, 120_000);
});
