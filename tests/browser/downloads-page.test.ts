/**
 * The downloads page in a real headless Chromium, against the real built server and a local,
 * throttled file origin: add a download, watch it finish, refresh mid-download, cancel, bad input,
 * and a server restart while the page stays open.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator } from 'playwright-core';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin, OriginFile } from '../support/file-origin';
import { safetensorsBytes } from './safetensors-bytes';
import {
  addDownload,
  addDownloadForm,
  apiFor,
  chromiumLookup,
  connectionStatus,
  filesUnder,
  jobBySource,
  jobCard,
  launchBrowser,
  openPage,
  previewDownload,
  progressBar,
  progressValue,
  requireWebBuild,
  screenshot,
  sha256OfFile,
  statusOf,
} from './page-helpers';
import type { Api } from './page-helpers';

if (!chromiumLookup.found) console.log(`Skipping the browser tests: ${chromiumLookup.reason}.`);

const TEMP_SUFFIX = '.modeldock-part';
const KIB = 1024;

async function partialFilesUnder(root: string): Promise<string[]> {
  return (await filesUnder(root)).filter((file) => file.endsWith(TEMP_SUFFIX));
}

/** Polls the bar until `done()` says stop, returning every value it showed on the way. */
async function watchProgress(
  bar: Locator,
  done: () => Promise<boolean>,
  timeoutMs = 45_000,
): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await progressValue(bar);
    if (value !== null && seen.at(-1) !== value) seen.push(value);
    if (await done()) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `Gave up watching the progress bar after ${timeoutMs} ms; it showed ${seen.join(', ') || 'nothing'}`,
  );
}

describe.skipIf(!chromiumLookup.found)('downloads page in Chromium', () => {
  let browser: Browser;
  let origin: FileOrigin;
  let server: ServerProcess;
  let api: Api;
  let removeFolders: () => Promise<void>;
  let context: BrowserContext | null = null;

  beforeAll(async () => {
    requireWebBuild();
    const folders = await createServerFolders();
    removeFolders = folders.remove;
    [origin, server, browser] = await Promise.all([
      startFileOrigin(),
      startServerProcess({ folders }),
      launchBrowser(),
    ]);
    api = apiFor(server);
  });

  afterEach(async () => {
    origin?.setThrottle(null);
    origin?.release();
    await api?.downloads.setGlobalBandwidthLimit.mutate({ bytesPerSecond: null });
    await context?.close();
    context = null;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await origin?.close();
    await removeFolders?.();
  });

  it('downloads a pasted URL with a moving progress bar to a byte-identical file', async () => {
    const file: OriginFile = origin.addFile('moving-bar.safetensors', {
      bytes: safetensorsBytes(2 * KIB * KIB, 1),
    });
    origin.setThrottle(700 * KIB);
    const opened = await openPage(browser, server);
    context = opened.context;
    const page = opened.page;

    await addDownload(page, file.url);
    const bar = progressBar(page, file.name);
    await bar.waitFor({ timeout: 15_000 });
    await screenshot(page, '1-downloading');

    const seen = await watchProgress(
      bar,
      async () => (await statusOf(page, file.name)) === 'completed',
    );
    await screenshot(page, '2-completed');

    const between = seen.filter((value) => value > 0 && value < 100);
    expect(between.length, `values shown: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await progressValue(bar)).toBe(100);
    await expect
      .poll(() => jobCard(page, file.name).getByText('Completed', { exact: true }).isVisible())
      .toBe(true);

    const job = await jobBySource(api, file.url);
    expect(job.status).toBe('completed');
    const onDisk = path.join(server.modelsDir, job.files[0]!.relativePath);
    expect(await sha256OfFile(onDisk)).toBe(file.sha256);
    expect(await partialFilesUnder(server.modelsDir)).toEqual([]);
  });

  it('shows the download again after a refresh, at a non-zero value, and it keeps moving', async () => {
    const file = origin.addFile('refresh-midway.safetensors', {
      bytes: safetensorsBytes(3 * KIB * KIB, 2),
    });
    origin.setThrottle(300 * KIB);
    const opened = await openPage(browser, server);
    context = opened.context;
    const page = opened.page;

    await addDownload(page, file.url);
    const bar = progressBar(page, file.name);
    await expect.poll(() => progressValue(bar), { timeout: 20_000 }).toBeGreaterThan(3);

    await page.reload();
    await bar.waitFor({ timeout: 15_000 });
    const afterReload = await progressValue(bar);
    await screenshot(page, '3-after-refresh');
    expect(afterReload).not.toBeNull();
    expect(afterReload!).toBeGreaterThan(0);
    await expect.poll(() => progressValue(bar), { timeout: 20_000 }).toBeGreaterThan(afterReload!);

    origin.setThrottle(null);
    await expect.poll(() => statusOf(page, file.name), { timeout: 30_000 }).toBe('completed');
    expect(await progressValue(bar)).toBe(100);
    const job = await jobBySource(api, file.url);
    expect(await sha256OfFile(path.join(server.modelsDir, job.files[0]!.relativePath))).toBe(
      file.sha256,
    );
  });

  it('restores a paused download from the server after a refresh, then resumes it to the end', async () => {
    const size = 3 * KIB * KIB;
    const file = origin.addFile('pause-refresh-resume.safetensors', {
      bytes: safetensorsBytes(size, 5),
    });
    origin.holdAfter(size / 3);
    const opened = await openPage(browser, server);
    context = opened.context;
    const page = opened.page;

    await addDownload(page, file.url);
    const bar = progressBar(page, file.name);
    await expect.poll(() => progressValue(bar), { timeout: 20_000 }).toBeGreaterThanOrEqual(33);
    await jobCard(page, file.name)
      .getByRole('button', { name: `Pause ${file.name}` })
      .click();
    await expect.poll(() => statusOf(page, file.name), { timeout: 15_000 }).toBe('paused');

    // A paused job sends no events, and a fresh page has no event id to replay from: only the
    // server's list can bring it back.
    await page.reload();
    await bar.waitFor({ timeout: 15_000 });
    expect(await statusOf(page, file.name)).toBe('paused');
    expect(await progressValue(bar)).toBeGreaterThanOrEqual(33);
    await screenshot(page, '4-paused-after-refresh');

    origin.release();
    await jobCard(page, file.name)
      .getByRole('button', { name: `Resume ${file.name}` })
      .click();
    await expect.poll(() => statusOf(page, file.name), { timeout: 30_000 }).toBe('completed');
    const job = await jobBySource(api, file.url);
    expect(await sha256OfFile(path.join(server.modelsDir, job.files[0]!.relativePath))).toBe(
      file.sha256,
    );
    const listed = (await api.downloads.list.query({ limit: 500 })).items.length;
    expect(
      await page.getByRole('article').count(),
      'every job the server lists is on the page',
    ).toBe(listed);
  });

  it('cancels from the page and removes the partial file', async () => {
    const file = origin.addFile('cancel-me.safetensors', {
      bytes: safetensorsBytes(4 * KIB * KIB, 3),
    });
    origin.setThrottle(200 * KIB);
    const opened = await openPage(browser, server);
    context = opened.context;
    const page = opened.page;

    await addDownload(page, file.url);
    const bar = progressBar(page, file.name);
    await expect.poll(() => progressValue(bar), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect
      .poll(() => partialFilesUnder(server.modelsDir), { timeout: 10_000 })
      .toHaveLength(1);

    const card = jobCard(page, file.name);
    await card.getByRole('button', { name: `Cancel ${file.name}`, exact: true }).click();
    await screenshot(page, '5-confirm-cancel');
    await card.getByRole('button', { name: 'Yes, cancel download' }).click();

    await expect.poll(() => statusOf(page, file.name), { timeout: 15_000 }).toBe('cancelled');
    await expect.poll(() => partialFilesUnder(server.modelsDir), { timeout: 10_000 }).toEqual([]);
    const job = await jobBySource(api, file.url);
    expect(job.status).toBe('cancelled');
    expect(existsSync(path.join(server.modelsDir, job.files[0]!.relativePath))).toBe(false);
    await expect(
      card.getByRole('button', { name: `Retry ${file.name}` }).isVisible(),
    ).resolves.toBe(true);
  });

  it("shows the server's message in full for bad input and adds nothing", async () => {
    const opened = await openPage(browser, server);
    context = opened.context;
    const page = opened.page;
    const before = (await api.downloads.list.query({ limit: 500 })).items.length;

    const badInput = 'ftp://example.org/model.safetensors';
    const serverMessage = await api.sources.resolve.query({ url: badInput }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(serverMessage, 'the server must refuse an ftp:// URL').not.toBeNull();

    await previewDownload(page, badInput);
    const alert = addDownloadForm(page).getByRole('alert');
    await alert.waitFor({ timeout: 10_000 });
    await screenshot(page, '6-bad-input');
    expect(await alert.innerText()).toContain(serverMessage!.trim());
    // Nothing that failed its preview can be downloaded: there is no Download button to press.
    expect(
      await addDownloadForm(page).getByRole('button', { name: 'Download', exact: true }).count(),
    ).toBe(0);
    expect((await api.downloads.list.query({ limit: 500 })).items.length).toBe(before);
  });
  it('sets priority and a speed limit, retries a cancelled download, limits bandwidth and clears finished jobs', async () => {
    const size = 2 * KIB * KIB;
    const file = origin.addFile('controls.safetensors', { bytes: safetensorsBytes(size, 6) });
    origin.holdAfter(size / 2);
    const opened = await openPage(browser, server);
    context = opened.context;
    const page = opened.page;
    await addDownload(page, file.url);
    const card = jobCard(page, file.name);
    await expect
      .poll(() => progressValue(progressBar(page, file.name)), { timeout: 20_000 })
      .toBeGreaterThan(0);

    const priority = card.getByLabel('Priority');
    await priority.fill('7');
    await priority.press('Enter');
    await expect.poll(async () => (await jobBySource(api, file.url)).priority).toBe(7);

    await card.getByRole('button', { name: `Speed limit for ${file.name}` }).click();
    const limitForm = card.getByRole('form', { name: `Speed limit for ${file.name}` });
    await limitForm.getByLabel('Speed limit value').fill('1.5');
    await limitForm.getByLabel('Speed limit unit').selectOption('MB/s');
    await limitForm.getByRole('button', { name: 'Set', exact: true }).click();
    await expect
      .poll(async () => (await jobBySource(api, file.url)).bandwidthLimitBps)
      .toBe(1_500_000);
    await card.getByText('limited to 1.50 MB/s').waitFor({ timeout: 10_000 });
    await card.getByRole('button', { name: `Speed limit for ${file.name}` }).click();
    await limitForm.getByRole('button', { name: 'No limit', exact: true }).click();
    await expect.poll(async () => (await jobBySource(api, file.url)).bandwidthLimitBps).toBeNull();

    await card.getByRole('button', { name: `Cancel ${file.name}` }).click();
    await card.getByRole('button', { name: 'Yes, cancel download' }).click();
    await expect.poll(() => statusOf(page, file.name), { timeout: 15_000 }).toBe('cancelled');
    origin.release();
    await card.getByRole('button', { name: `Retry ${file.name}` }).click();
    await expect.poll(() => statusOf(page, file.name), { timeout: 30_000 }).toBe('completed');
    const job = await jobBySource(api, file.url);
    expect(await sha256OfFile(path.join(server.modelsDir, job.files[0]!.relativePath))).toBe(
      file.sha256,
    );

    await page.getByRole('textbox', { name: 'Bandwidth limit', exact: true }).fill('2.5');
    await page.getByLabel('Bandwidth limit unit').selectOption('MB/s');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await expect.poll(async () => (await api.downloads.limits.query()).globalBps).toBe(2_500_000);
    await page.getByRole('button', { name: 'Remove the bandwidth limit' }).click();
    await expect.poll(async () => (await api.downloads.limits.query()).globalBps).toBeNull();

    const finishedCount = (await api.downloads.list.query({ limit: 500 })).items.filter((item) =>
      ['completed', 'failed', 'cancelled'].includes(item.status),
    ).length;
    await page.getByRole('button', { name: 'Clear finished' }).click();
    // It asks first, saying how many, and nothing is cleared until the user says yes.
    const confirm = page.getByRole('group', { name: 'Clear finished downloads?' });
    await expect
      .poll(() => confirm.textContent())
      .toMatch(new RegExp(`Remove ${finishedCount} finished downloads? from this list`));
    await page.getByRole('button', { name: 'Keep them' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(
      (await api.downloads.list.query({ limit: 500 })).items.filter((item) =>
        ['completed', 'failed', 'cancelled'].includes(item.status),
      ),
    ).toHaveLength(finishedCount);
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await page.getByRole('button', { name: /^Yes, clear \d+ finished download/ }).click();
    const finishedSection = page.getByRole('region', { name: /^Finished/ });
    await expect
      .poll(() => finishedSection.getByRole('article').count(), { timeout: 10_000 })
      .toBe(0);
    const remaining = (await api.downloads.list.query({ limit: 500 })).items;
    expect(
      remaining.filter((item) => ['completed', 'failed', 'cancelled'].includes(item.status)),
    ).toEqual([]);
    // Clearing forgets the jobs, never their files.
    expect(existsSync(path.join(server.modelsDir, job.files[0]!.relativePath))).toBe(true);
  });
});

describe.skipIf(!chromiumLookup.found)('downloads page across a server restart', () => {
  let browser: Browser;
  let origin: FileOrigin;
  let folders: Awaited<ReturnType<typeof createServerFolders>>;
  let first: ServerProcess;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    requireWebBuild();
    folders = await createServerFolders();
    [origin, browser, first] = await Promise.all([
      startFileOrigin(),
      launchBrowser(),
      startServerProcess({ folders }),
    ]);
    servers.push(first);
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.stop();
    await origin?.close();
    await folders?.remove();
  });

  // Starting a server takes seconds on a busy machine, and this test starts one more.
  it(
    'reconnects by itself and the download carries on to a byte-identical file',
    { timeout: 120_000 },
    async () => {
      const file = origin.addFile('survives-restart.safetensors', {
        bytes: safetensorsBytes(3 * KIB * KIB, 4),
      });
      origin.setThrottle(250 * KIB);

      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(first.url);
      await expect.poll(() => connectionStatus(page), { timeout: 15_000 }).toBe('connected');
      await addDownload(page, file.url);
      const bar = progressBar(page, file.name);
      await expect.poll(() => progressValue(bar), { timeout: 20_000 }).toBeGreaterThan(5);

      await first.stop('SIGTERM');
      await expect.poll(() => connectionStatus(page), { timeout: 15_000 }).not.toBe('connected');
      const whileDown = await progressValue(bar);
      await screenshot(page, '7-server-down');
      expect(whileDown, 'the page keeps showing what it knew').toBeGreaterThan(0);

      const second = await startServerProcess({ folders, port: first.port });
      servers.push(second);
      await expect.poll(() => connectionStatus(page), { timeout: 30_000 }).toBe('connected');
      await expect.poll(() => progressValue(bar), { timeout: 20_000 }).toBeGreaterThan(whileDown!);

      origin.setThrottle(null);
      await expect.poll(() => statusOf(page, file.name), { timeout: 30_000 }).toBe('completed');
      const job = await jobBySource(apiFor(second), file.url);
      expect(await sha256OfFile(path.join(folders.modelsDir, job.files[0]!.relativePath))).toBe(
        file.sha256,
      );
      await context.close();
    },
  );
});
