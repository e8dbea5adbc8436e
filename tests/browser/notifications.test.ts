/**
 * The notification centre and Settings → Notifications in headless Chromium against the built
 * server: a destination refused with the field named, one added for failures only, "Send test",
 * a failed download that lights the bell with its count, reaches the webhook receiver (and a
 * finished one that does not), read/unread in the list, and the delivery status in Settings.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import {
  apiFor,
  chromiumLookup,
  launchBrowser,
  openPage,
  requireWebBuild,
  screenshot,
} from './page-helpers';
import type { Api } from './page-helpers';

if (!chromiumLookup.found) console.log(`Skipping the browser tests: ${chromiumLookup.reason}.`);

interface Received {
  path: string;
  body: string;
}

describe.skipIf(!chromiumLookup.found)('notifications in Chromium', () => {
  let browser: Browser;
  let server: ServerProcess;
  let api: Api;
  let origin: FileOrigin;
  let removeFolders: () => Promise<void>;
  let context: BrowserContext | null = null;
  const received: Received[] = [];
  let receiver: http.Server;
  let receiverUrl: string;

  async function open(pathname: string): Promise<Page> {
    const opened = await openPage(browser, server, pathname);
    context = opened.context;
    return opened.page;
  }

  beforeAll(async () => {
    requireWebBuild();
    const folders = await createServerFolders();
    removeFolders = folders.remove;
    origin = await startFileOrigin();
    receiver = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    [server, browser] = await Promise.all([startServerProcess({ folders }), launchBrowser()]);
    api = apiFor(server);
  }, 120_000);

  afterEach(async () => {
    await context?.close();
    context = null;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop('SIGTERM');
    await origin?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
    await removeFolders?.();
  });

  it('adds a destination for failures only after refusing a bad URL, and sends a test', async () => {
    const page = await open('/settings');
    const form = page.getByRole('form', { name: 'Add a notification destination' });
    await form.getByLabel('URL').fill('ftp://files.example/hook');
    await form.getByRole('button', { name: 'Add destination' }).click();
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toMatch(/url must be http or https/);
    expect(await page.locator('li.destination').count()).toBe(0);

    await form.getByLabel('URL').fill(`${receiverUrl}/hook?secret=query-secret-123`);
    await form.getByLabel('Download failed').check();
    await form.getByRole('button', { name: 'Add destination' }).click();
    const row = page.locator('li.destination');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('code.url').textContent()).toBe(`${receiverUrl}/hook?…`);
    expect(await row.textContent()).toContain('Events: Download failed');
    expect(await page.content()).not.toContain('query-secret-123');

    await row.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => row.getByRole('status').textContent()).toBe('Test sent (HTTP 204).');
    expect(JSON.parse(received.at(-1)!.body)).toMatchObject({ test: true });
    expect(await row.getAttribute('data-tone')).toBe('ok');
    await screenshot(page, 'notifications-settings');
  });

  it('lights the bell for finished and failed downloads, sends only the failure, and marks read', async () => {
    const page = await open('/');
    const bell = page.getByRole('button', { name: /^Notifications/ });
    const before = received.length;
    const file = origin.addFile('fine.dat', { size: 64 * 1024, seed: 3 });
    await api.downloads.enqueue.mutate({ url: file.url, folder: 'loras' });
    await api.downloads.enqueue.mutate({ url: `${origin.url}/gone.dat`, folder: 'loras' });

    await expect
      .poll(() => page.getByTestId('unread-count').textContent(), { timeout: 30_000 })
      .toBe('2');
    expect(await bell.getAttribute('aria-label')).toBe('Notifications, 2 unread');
    await bell.click();
    const panel = page.getByRole('region', { name: 'Notifications' });
    const failed = panel.locator('li[data-event="download.failed"]');
    expect(await failed.locator('strong').textContent()).toBe('Download failed: gone.dat');
    expect(await failed.getAttribute('data-read')).toBe('false');
    expect(await panel.locator('li[data-event="download.completed"] strong').textContent()).toBe(
      'Downloaded fine.dat',
    );
    await screenshot(page, 'notifications-bell');

    await failed.getByRole('button', { name: 'Mark read' }).click();
    await expect.poll(() => failed.getAttribute('data-read')).toBe('true');
    expect(await page.getByTestId('unread-count').textContent()).toBe('1');
    await panel.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => page.getByTestId('unread-count').count()).toBe(0);

    await expect.poll(() => received.length, { timeout: 20_000 }).toBe(before + 1);
    expect(JSON.parse(received.at(-1)!.body)).toMatchObject({
      event: 'download.failed',
      test: false,
    });
    expect(received.at(-1)!.path).toBe('/hook?secret=query-secret-123');
  });
});
