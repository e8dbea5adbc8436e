/**
 * Model cards with metadata in headless Chromium against the built server and the fake Civitai:
 * a folder from another tool is fixed with the Library header's "Fix all"; the card then shows the
 * model's preview, name and version, base model and trigger words (copyable); its details show the
 * description, where a `<script>` the author wrote as text is text and a real one never runs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { putStandardImages, startFakeImageHost } from '../support/fake-image-host';
import type { FakeImageHost } from '../support/fake-image-host';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { apiFor, chromiumLookup, launchBrowser, openPage, requireWebBuild, screenshot } from './page-helpers';
import type { Api } from './page-helpers';

if (!chromiumLookup.found) console.log(`Skipping the browser tests: ${chromiumLookup.reason}.`);

const NEON = 'neon lora from another machine';
const HOSTILE_DESCRIPTION =
  '<p>Glowing signs. Write &lt;script&gt;alert(1)&lt;/script&gt; in your notes.</p>' +
  '<script>window.__pwned = "script"</script><img src="x" onerror="window.__pwned = \'onerror\'">' +
  '<a href="javascript:window.__pwned=\'link\'">click</a>';

describe.skipIf(!chromiumLookup.found)('model cards with metadata in Chromium', () => {
  let browser: Browser;
  let server: ServerProcess;
  let civitai: FakeCivitai;
  let images: FakeImageHost;
  let api: Api;
  let removeFolders: () => Promise<void>;
  let context: BrowserContext | null = null;

  async function open(pathname: string): Promise<Page> {
    const opened = await openPage(browser, server, pathname);
    context = opened.context;
    return opened.page;
  }

  beforeAll(async () => {
    requireWebBuild();
    civitai = await startFakeCivitai();
    images = await startFakeImageHost();
    const urls = await putStandardImages(images);
    civitai.addModel({
      id: 7,
      name: 'Neon Nights',
      type: 'LORA',
      description: HOSTILE_DESCRIPTION,
      tags: ['style', 'neon'],
      creator: 'artist',
      versions: [{ id: 70, name: 'v2', baseModel: 'SDXL 1.0', trainedWords: ['neon nights', 'glowing sign'], images: [{ url: urls.png, nsfwLevel: 1 }], files: [{ id: 700, name: 'neon_v2.safetensors', content: NEON }] }],
    });
    const folders = await createServerFolders();
    removeFolders = folders.remove;
    await mkdir(path.join(folders.modelsDir, 'loras'), { recursive: true });
    await writeFile(path.join(folders.modelsDir, 'loras/neon.safetensors'), NEON);
    [server, browser] = await Promise.all([startServerProcess({ folders, env: { MODELDOCK_CIVITAI_ENDPOINT: civitai.url } }), launchBrowser()]);
    api = apiFor(server);
    const deadline = Date.now() + 60_000;
    while ((await api.library.stats.query()).metadata?.entries !== 1) {
      if (Date.now() > deadline) throw new Error('the first library scan did not finish');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    await civitai?.close();
    await images?.close();
    await removeFolders?.();
  });

  it('"Fix all" fills the card; the description\'s <script> is text and never runs', async () => {
    const page = await open('/library');
    const card = page.locator('article.card[data-entry="loras/neon.safetensors"]');
    await expect.poll(() => card.count()).toBe(1);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'minimal metadata' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Fix all' }).click();
    await expect.poll(() => card.locator('.model-name').textContent(), { timeout: 60_000 }).toBe('Neon Nights');
    expect(await card.locator('.version').textContent()).toBe('v2');
    expect(await card.locator('.base-model').textContent()).toBe('SDXL 1.0');
    expect(await card.locator('.model-type').textContent()).toBe('LORA');
    expect(await card.locator('[data-word]').allTextContents()).toEqual(['neon nights', 'glowing sign']);
    await expect.poll(() => card.getByRole('button', { name: 'Copy all' }).count()).toBe(1);
    // The preview is the model's image, a WebP thumbnail the server made, not the placeholder.
    const thumbnail = await card.locator('img').getAttribute('src');
    expect(thumbnail).toMatch(/^\/thumbnails\/[^?]+\?v=\d+$/);
    await expect.poll(() => card.locator('img').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0)).toBe(true);
    await screenshot(page, 'library-metadata-card');

    await card.getByRole('button', { name: 'Details', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const description = dialog.locator('.description');
    await expect.poll(() => description.textContent()).toContain('Write <script>alert(1)</script> in your notes.');
    expect(await description.locator('script, [onerror], a[href^="javascript:"]').count()).toBe(0);
    expect(await dialog.locator('.creator').textContent()).toBe('artist');
    expect(await dialog.textContent()).toContain('neon');
    await page.waitForTimeout(300);
    expect(await page.evaluate('window.__pwned ?? null')).toBeNull();
    await screenshot(page, 'library-metadata-detail');
  });

  it('Settings → Metadata keeps the sidecar switches and the preview content limit', async () => {
    const page = await open('/settings');
    const limit = page.getByLabel('Preview content limit');
    await expect.poll(() => limit.inputValue()).toBe('2');
    await limit.selectOption('4');
    await expect.poll(async () => (await api.settings.metadata.get.query()).maxNsfwLevel).toBe(4);
    await page.getByLabel(/Also write A1111/).check();
    await expect.poll(async () => (await api.settings.metadata.get.query()).writeA1111).toBe(true);
    expect((await api.settings.metadata.get.query()).writeSidecars).toBe(true);
  });
});
