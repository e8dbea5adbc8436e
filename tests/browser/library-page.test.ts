/**
 * The Library page in headless Chromium against the built server, on a models folder that already
 * holds files from other tools: entries with sizes and disk usage, filters, a scan followed in the
 * Tasks panel, a file deleted by hand shown behind "Show missing", and delete with a confirmation
 * that names the size freed.
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { apiFor, chromiumLookup, launchBrowser, openPage, requireWebBuild, screenshot } from './page-helpers';
import type { Api } from './page-helpers';

if (!chromiumLookup.found) console.log(`Skipping the browser tests: ${chromiumLookup.reason}.`);

const FILES: Record<string, number> = {
  'checkpoints/sdxl base.safetensors': 3_000_000,
  'loras/style été.safetensors': 1_200_000,
  'loras/old style.ckpt': 800_000,
  'text_encoders/t5-Q8_0.gguf': 500_000,
};

describe.skipIf(!chromiumLookup.found)('the Library page in Chromium', () => {
  let browser: Browser;
  let server: ServerProcess;
  let api: Api;
  let removeFolders: () => Promise<void>;
  let context: BrowserContext | null = null;

  async function open(pathname: string): Promise<Page> {
    const opened = await openPage(browser, server, pathname);
    context = opened.context;
    return opened.page;
  }

  const card = (page: Page, name: string) => page.locator('article.card', { has: page.getByRole('heading', { name }) });

  beforeAll(async () => {
    requireWebBuild();
    const folders = await createServerFolders();
    removeFolders = folders.remove;
    for (const [relativePath, size] of Object.entries(FILES)) {
      const target = path.join(folders.modelsDir, relativePath);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, Buffer.alloc(size, relativePath.length));
    }
    await writeFile(path.join(folders.modelsDir, 'loras/style été.preview.png'), 'png');
    [server, browser] = await Promise.all([startServerProcess({ folders }), launchBrowser()]);
    api = apiFor(server);
    // The scan at start has finished (hooks cannot use expect.poll).
    const deadline = Date.now() + 60_000;
    while ((await api.tasks.list.query({ status: ['completed'] })).length === 0) {
      if (Date.now() > deadline) throw new Error('the first library scan did not finish');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
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

  it('shows every file with its size and disk usage, and filters by folder, format and search', async () => {
    const page = await open('/library');
    await expect.poll(() => page.locator('article.card').count()).toBe(4);
    await expect.poll(() => page.getByTestId('total-bytes').textContent()).toBe('5.50 MB');
    expect(await card(page, 'sdxl base.safetensors').textContent()).toContain('3.00 MB');
    expect(await card(page, 'sdxl base.safetensors').textContent()).toContain('Found on disk');
    expect(await card(page, 'old style.ckpt').textContent()).toContain('pickle');

    await page.getByLabel('Folder', { exact: true }).selectOption('loras');
    await expect.poll(() => page.locator('article.card').count()).toBe(2);
    await page.getByLabel('Format', { exact: true }).selectOption('pickle');
    await expect.poll(() => page.locator('article.card').count()).toBe(1);
    await page.getByLabel('Format', { exact: true }).selectOption('');
    await page.getByLabel('Folder', { exact: true }).selectOption('');
    await page.getByPlaceholder('Search by file name or folder').fill('été');
    await expect.poll(() => page.locator('article.card').count()).toBe(1);
    await page.getByPlaceholder('Search by file name or folder').fill('');
    await page.getByRole('button', { name: 'List' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(4);
    await screenshot(page, 'library-list');
  });

  it('a file deleted by hand: a scan (followed in the Tasks panel) shows it missing behind the toggle', async () => {
    await rm(path.join(server.modelsDir, 'text_encoders/t5-Q8_0.gguf'));
    const page = await open('/library');
    await expect.poll(() => page.locator('article.card').count()).toBe(4);
    await page.getByRole('button', { name: 'Scan now' }).click();
    await page.getByRole('button', { name: /^Tasks/ }).click();
    const panel = page.getByRole('region', { name: 'Background tasks' });
    await expect.poll(() => panel.locator('li[data-task-kind="scan"]').count()).toBeGreaterThan(1);
    await expect.poll(() => panel.locator('li[data-task-kind="scan"]').first().getAttribute('data-task-status')).toBe('completed');
    expect(await panel.textContent()).toContain('Scan of the models folder');
    await screenshot(page, 'library-tasks-panel');

    await expect.poll(() => page.locator('article.card').count()).toBe(3);
    await page.getByLabel('Show missing').check();
    await expect.poll(() => page.locator('article.card').count()).toBe(4);
    expect(await card(page, 't5-Q8_0.gguf').textContent()).toContain('Missing');
    await screenshot(page, 'library-missing');
  });

  it('deletes a model with its preview after a confirmation that names the size freed', async () => {
    const page = await open('/library');
    await card(page, 'style été.safetensors').getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByRole('heading').textContent()).toBe('Delete this model and free 1.20 MB?');
    await screenshot(page, 'library-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('p.notice').textContent()).toContain('freed 1.20 MB');
    await expect.poll(() => card(page, 'style été.safetensors').count()).toBe(0);
    await expect(access(path.join(server.modelsDir, 'loras/style été.safetensors'))).rejects.toThrow();
    await expect(access(path.join(server.modelsDir, 'loras/style été.preview.png'))).rejects.toThrow();
  });
});
