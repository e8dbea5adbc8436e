/**
 * Settings → Schedule and retention, and Bandwidth windows, in a real headless Chromium against the
 * built server: a round trip (saved through the page, read back by the API and by the page after a
 * reload), a refused change shown with the field it names while nothing is stored, and the limit in
 * force shown with its source.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { apiFor, chromiumLookup, launchBrowser, openPage, requireWebBuild, screenshot } from './page-helpers';
import type { Api } from './page-helpers';

if (!chromiumLookup.found) console.log(`Skipping the browser tests: ${chromiumLookup.reason}.`);

describe.skipIf(!chromiumLookup.found)('settings: schedule, retention and bandwidth windows in Chromium', () => {
  let browser: Browser;
  let server: ServerProcess;
  let api: Api;
  let removeFolders: () => Promise<void>;
  let context: BrowserContext | null = null;

  async function open(pathname = '/settings'): Promise<Page> {
    const opened = await openPage(browser, server, pathname);
    context = opened.context;
    return opened.page;
  }

  beforeAll(async () => {
    requireWebBuild();
    const folders = await createServerFolders();
    removeFolders = folders.remove;
    [server, browser] = await Promise.all([startServerProcess({ folders }), launchBrowser()]);
    api = apiFor(server);
  });

  afterEach(async () => {
    await context?.close();
    context = null;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await removeFolders?.();
  });

  it('saves the schedule and retention, refuses a bad interval by name, and shows them again after a reload', async () => {
    const page = await open();
    const form = page.getByRole('form', { name: 'Maintenance schedule and retention' });
    await form.getByLabel('Update checks on').uncheck();
    await form.getByLabel('Metadata and preview recovery interval in minutes').fill('720');
    await form.getByLabel('Clear finished downloads after hours').fill('48');
    await form.getByRole('button', { name: 'Save schedule and retention' }).click();
    await expect.poll(async () => (await api.settings.get.query()).maintenance.recovery.intervalMinutes).toBe(720);
    const stored = await api.settings.get.query();
    expect(stored.maintenance.updates.enabled).toBe(false);
    expect(stored.retention).toEqual({ finishedJobsHours: 48, failedJobsDays: 7 });
    await expect.poll(() => form.locator('tr[data-kind="updates"] [data-field="next-run"]').textContent()).toBe('off');

    await form.getByLabel('Library scan interval in minutes').fill('1');
    await form.getByLabel('Keep failed downloads days').fill('3');
    await form.getByRole('button', { name: 'Save schedule and retention' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/maintenance\.scan\.intervalMinutes/);
    expect((await api.settings.get.query()).retention.failedJobsDays).toBe(7);
    await screenshot(page, 'settings-schedule-refused');

    await page.reload();
    const again = page.getByRole('form', { name: 'Maintenance schedule and retention' });
    await expect.poll(() => again.getByLabel('Metadata and preview recovery interval in minutes').inputValue()).toBe('720');
    expect(await again.getByLabel('Update checks on').isChecked()).toBe(false);
    expect(await again.getByLabel('Clear finished downloads after hours').inputValue()).toBe('48');
  });

  it('edits bandwidth windows: an overlap is refused with nothing stored, a good window is saved and shown as in force', async () => {
    await api.downloads.setGlobalBandwidthLimit.mutate({ bytesPerSecond: 750_000 });
    const page = await open();
    const windows = page.getByRole('form', { name: 'Bandwidth windows' });
    await windows.getByRole('button', { name: 'Add window' }).click();
    await windows.getByRole('button', { name: 'Add window' }).click();
    await windows.getByLabel('Window 2 start').fill('22:00');
    await windows.getByLabel('Window 2 end').fill('06:00');
    await windows.getByLabel('Window 2 limit', { exact: true }).fill('');
    await windows.getByRole('button', { name: 'Save windows' }).click();
    await expect.poll(() => windows.getByRole('alert').textContent()).toMatch(/bandwidth\.windows\[1\]: overlaps/);
    expect((await api.settings.get.query()).bandwidth.windows).toEqual([]);

    // One window over the whole day but a minute, so it is in force whatever the server's clock says.
    await windows.getByRole('button', { name: 'Remove window 2' }).click();
    await windows.getByLabel('Window 1 start').fill('00:00');
    await windows.getByLabel('Window 1 end').fill('23:59');
    await windows.getByRole('button', { name: 'Save windows' }).click();
    await expect.poll(async () => (await api.settings.get.query()).bandwidth.windows).toEqual([{ start: '00:00', end: '23:59', limitBps: 2_000_000 }]);
    const now = page.getByRole('form', { name: 'Global bandwidth limit' }).locator('.effective');
    const inMinuteOutside = (await api.downloads.limits.query()).source === 'manual';
    if (!inMinuteOutside) {
      await expect.poll(() => now.textContent()).toMatch(/Now: 2(\.00)? MB\/s\s*\(window 00:00–23:59\)/);
      expect(await api.downloads.limits.query()).toMatchObject({ globalBps: 2_000_000, source: 'window', manualBps: 750_000 });
    }
    await screenshot(page, 'settings-bandwidth-windows');

    // The Downloads page shows the limit in force too.
    const downloads = await open('/');
    if (!inMinuteOutside) {
      await expect.poll(() => downloads.getByRole('form', { name: 'Global bandwidth limit' }).locator('.effective').textContent()).toMatch(/Now: 2(\.00)? MB\/s/);
    }
    await downloads.reload();
    const reread = await open();
    await expect.poll(() => reread.getByRole('form', { name: 'Bandwidth windows' }).getByLabel('Window 1 limit', { exact: true }).inputValue()).toBe('2');
  });
});
