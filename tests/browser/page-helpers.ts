/**
 * What the browser tests share: a headless Chromium, a page opened on the built server and
 * connected, the add-download flow (paste → preview → Download), and readers for job cards.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@modeldock/server';
import { REPO_ROOT } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { CHROMIUM_ARGS, findChromium } from './find-chromium';

export const chromiumLookup = findChromium();

const WEB_BUILD_INDEX = path.join(REPO_ROOT, 'apps/web/build/index.html');
/** Set to a folder to keep screenshots of each step while working on the pages' design. */
const SCREENSHOT_DIR = process.env.MODELDOCK_SCREENSHOT_DIR;

export type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

export function apiFor(server: ServerProcess): Api {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${server.url}/trpc` })] });
}

export function requireWebBuild(): void {
  if (!existsSync(WEB_BUILD_INDEX)) {
    throw new Error(
      `${WEB_BUILD_INDEX} is missing: run \`pnpm --filter @modeldock/web build\` (the root \`pnpm test\` does)`,
    );
  }
}

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumLookup.found) throw new Error(chromiumLookup.reason);
  // Playwright gives every launch a fresh, temporary user-data dir and removes it on close.
  return chromium.launch({
    executablePath: chromiumLookup.executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** What the header's connection indicator says: connecting, connected, reconnecting or offline. */
export function connectionStatus(page: Page): Promise<string | null> {
  return page.locator('[data-connection]').getAttribute('data-connection');
}

/** A fresh context on `pathname`, once the page hears from the server over its WebSocket. */
export async function openPage(
  browser: Browser,
  server: ServerProcess,
  pathname = '/',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(new URL(pathname, server.url).href);
  await expect.poll(() => connectionStatus(page), { timeout: 15_000 }).toBe('connected');
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOT_DIR)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

export function addDownloadForm(page: Page): Locator {
  return page.getByRole('form', { name: 'Add a download' });
}

/** Pastes `url` and asks for its preview at once (rather than waiting for typing to pause). */
export async function previewDownload(page: Page, url: string): Promise<Locator> {
  const form = addDownloadForm(page);
  await form.getByLabel('URL', { exact: true }).fill(url);
  await form.getByRole('button', { name: 'Preview', exact: true }).click();
  return form.getByRole('region', { name: 'Preview' });
}

/** The whole flow a person follows: paste, see the preview, click Download. */
export async function addDownload(page: Page, url: string): Promise<void> {
  await previewDownload(page, url);
  const download = addDownloadForm(page).getByRole('button', { name: 'Download', exact: true });
  await download.waitFor({ timeout: 15_000 });
  await download.click();
  await addDownloadForm(page)
    .getByRole('status')
    .filter({ hasText: /queue|already/i })
    .waitFor({
      timeout: 15_000,
    });
}

export function jobCard(page: Page, title: string): Locator {
  return page.getByRole('article', { name: title, exact: true });
}

export function progressBar(page: Page, title: string): Locator {
  return page.getByRole('progressbar', { name: `Download progress: ${title}`, exact: true });
}

/** The bar's aria-valuenow, or null while it is absent or indeterminate. */
export async function progressValue(bar: Locator): Promise<number | null> {
  if ((await bar.count()) === 0) return null;
  const value = await bar.getAttribute('aria-valuenow', { timeout: 1_000 }).catch(() => null);
  return value === null ? null : Number(value);
}

export async function statusOf(page: Page, title: string): Promise<string | null> {
  const badge = jobCard(page, title).locator('[data-status]').first();
  return (await badge.count()) === 0 ? null : badge.getAttribute('data-status');
}

export async function sha256OfFile(filePath: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(filePath))
    .digest('hex');
}

export async function filesUnder(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

export async function jobBySource(api: Api, source: string) {
  const { items } = await api.downloads.list.query({ limit: 500 });
  const job = items.find((item) => item.source === source);
  if (!job) throw new Error(`No job for ${source} on the server`);
  return job;
}
