/**
 * The add form as a new user tries it, in a real headless Chromium against the built server and a
 * fake Hugging Face Hub: the file picker of a repository (tick two of five files → exactly those two
 * are downloaded, each into its folder), Enter previews and never starts a download, the options
 * reset after a download is queued, and the pages fit a 390 px wide phone without sideways scroll.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { TENSORS, safetensorsFile } from '../support/model-bytes';
import {
  addDownloadForm,
  apiFor,
  chromiumLookup,
  connectionStatus,
  filesUnder,
  launchBrowser,
  openPage,
  previewDownload,
  requireWebBuild,
  screenshot,
  sha256OfFile,
  statusOf,
} from './page-helpers';
import type { Api } from './page-helpers';

if (!chromiumLookup.found) console.log(`Skipping the browser tests: ${chromiumLookup.reason}.`);

const REPO = 'acme/five-files';
const REPO_FILES = [
  { path: 'ae.safetensors', tensors: TENSORS.fluxVae, folder: 'vae' },
  { path: 'style-lora.safetensors', tensors: TENSORS.kohyaLora, folder: 'loras' },
  { path: 't5xxl.safetensors', tensors: TENSORS.t5Encoder, folder: 'text_encoders' },
  { path: 'upscaler.safetensors', tensors: TENSORS.realEsrgan, folder: 'upscale_models' },
];

describe.skipIf(!chromiumLookup.found)('the add form in Chromium', () => {
  let browser: Browser;
  let hub: FakeHuggingFace;
  let server: ServerProcess;
  let api: Api;
  let removeFolders: () => Promise<void>;
  let context: BrowserContext | null = null;

  async function open(pathname = '/'): Promise<Page> {
    const opened = await openPage(browser, server, pathname);
    context = opened.context;
    return opened.page;
  }

  beforeAll(async () => {
    requireWebBuild();
    const folders = await createServerFolders();
    removeFolders = folders.remove;
    hub = await startFakeHuggingFace();
    hub.addRepo({
      id: REPO,
      files: [
        ...REPO_FILES.map((file) => ({
          path: file.path,
          content: safetensorsFile({ tensors: [...file.tensors], tensorBytes: 4096 }),
        })),
        { path: 'README.md', content: '# five files' },
      ],
    });
    hub.addRepo({
      id: 'acme/single-vae',
      files: [
        {
          path: 'vae.safetensors',
          content: safetensorsFile({ tensors: [...TENSORS.sdVae], tensorBytes: 2048 }),
        },
      ],
    });
    [server, browser] = await Promise.all([
      startServerProcess({ folders, env: { MODELDOCK_HF_ENDPOINT: hub.url } }),
      launchBrowser(),
    ]);
    api = apiFor(server);
  });

  afterEach(async () => {
    await context?.close();
    context = null;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await hub?.close();
    await removeFolders?.();
  });

  it('lists a repository to tick: two of five ticked → exactly those two downloaded, each in its folder', async () => {
    const page = await open();
    const preview = await previewDownload(page, `${hub.url}/${REPO}`);
    const picker = preview.getByRole('group', { name: 'Files to download' });
    await picker.waitFor({ timeout: 20_000 });

    // Every file is listed with its size, type and destination; README is listed but not ticked.
    for (const file of REPO_FILES) {
      const row = picker.getByRole('listitem', { name: file.path, exact: true });
      expect(await row.locator('[data-destination]').innerText()).toBe(
        `${file.folder}/${file.path}`,
      );
      expect(await row.locator('[data-size]').innerText()).toMatch(/kB$/);
      expect(await row.getByRole('checkbox', { name: `Download ${file.path}` }).isChecked()).toBe(
        true,
      );
    }
    const readme = picker.getByRole('listitem', { name: 'README.md', exact: true });
    expect(await readme.getByRole('checkbox', { name: 'Download README.md' }).isChecked()).toBe(
      false,
    );
    expect(await readme.locator('[data-type]').innerText()).toContain('Documentation');
    await screenshot(page, 'picker-1-listed');

    // Keep only the VAE and the upscaler, and send the upscaler to a folder of our choosing.
    await picker.getByRole('checkbox', { name: 'Download style-lora.safetensors' }).uncheck();
    await picker.getByRole('checkbox', { name: 'Download t5xxl.safetensors' }).uncheck();
    await picker
      .getByRole('combobox', { name: 'Folder for upscaler.safetensors' })
      .selectOption('upscale_models');
    const summary = addDownloadForm(page).locator('[data-confirm-summary]');
    await expect.poll(() => summary.innerText()).toMatch(/^2 files · [\d.]+ kB to download$/);
    expect(await preview.locator('[data-totals]').innerText()).toContain('5 files');
    await screenshot(page, 'picker-2-two-ticked');

    await addDownloadForm(page).getByRole('button', { name: 'Download', exact: true }).click();
    await addDownloadForm(page)
      .getByRole('status')
      .filter({ hasText: /queue/i })
      .waitFor({ timeout: 15_000 });

    await expect
      .poll(
        async () => {
          const { items } = await api.downloads.list.query({ limit: 50 });
          return items.map((job) => job.status);
        },
        { timeout: 30_000 },
      )
      .toEqual(['completed']);
    const { items } = await api.downloads.list.query({ limit: 50 });
    expect(items[0]!.files.map((file) => file.relativePath).sort()).toEqual([
      'upscale_models/upscaler.safetensors',
      'vae/ae.safetensors',
    ]);
    const onDisk = (await filesUnder(server.modelsDir))
      .map((file) => path.relative(server.modelsDir, file))
      .sort();
    expect(onDisk).toEqual(['upscale_models/upscaler.safetensors', 'vae/ae.safetensors']);
    expect(await sha256OfFile(path.join(server.modelsDir, 'vae/ae.safetensors'))).toBe(
      hub.repo(REPO).file('ae.safetensors').sha256,
    );
  });

  it('previews on Enter and starts nothing; only the Download button starts, then the options reset', async () => {
    const page = await open();
    const form = addDownloadForm(page);
    const before = (await api.downloads.list.query({ limit: 500 })).items.length;
    await form.locator('summary', { hasText: 'Options' }).click();
    await form.getByLabel('Folder', { exact: true }).fill('my_vaes');
    expect(await form.locator('[data-options-set]').innerText()).toBe('1 set');
    const url = form.getByLabel('URL', { exact: true });
    await url.fill(`${hub.url}/acme/single-vae/blob/main/vae.safetensors`);
    await url.press('Enter');
    const row = form
      .getByRole('region', { name: 'Preview' })
      .getByRole('listitem', { name: 'vae.safetensors', exact: true });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('[data-destination]').innerText()).toBe('my_vaes/vae.safetensors');
    // Enter again, with the preview on screen: still no download.
    await url.press('Enter');
    await form.getByRole('button', { name: 'Download', exact: true }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await api.downloads.list.query({ limit: 500 })).items.length).toBe(before);
    expect(await form.getByRole('button', { name: 'Download', exact: true }).isVisible()).toBe(
      true,
    );

    await form.getByRole('button', { name: 'Download', exact: true }).click();
    await expect
      .poll(() => statusOf(page, 'vae.safetensors'), { timeout: 30_000 })
      .toBe('completed');
    expect(existsSync(path.join(server.modelsDir, 'my_vaes', 'vae.safetensors'))).toBe(true);
    // The folder chosen for that file is not silently kept for the next one.
    expect(await form.getByLabel('Folder', { exact: true }).inputValue()).toBe('');
    expect(await form.locator('[data-options-set]').count()).toBe(0);

    // A single finished job comes off the list; its file stays.
    const card = page.getByRole('article', { name: 'vae.safetensors', exact: true });
    await card.getByRole('button', { name: 'Remove vae.safetensors from the list' }).click();
    await card.waitFor({ state: 'detached', timeout: 15_000 });
    expect(
      (await api.downloads.list.query({ limit: 500 })).items.some((job) =>
        job.files.some((file) => file.name === 'vae.safetensors'),
      ),
    ).toBe(false);
    expect(existsSync(path.join(server.modelsDir, 'my_vaes', 'vae.safetensors'))).toBe(true);
  });

  it('fits a 390 px wide screen on every page: no sideways scroll, the whole header visible', async () => {
    const page = await open();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const pathname of ['/', '/library', '/workflows', '/catalog', '/settings', '/no-such-page']) {
      await page.goto(new URL(pathname, server.url).href);
      await expect.poll(() => connectionStatus(page), { timeout: 15_000 }).toBe('connected');
      // The widest content of Settings (the folders table) is measured once it is there.
      if (pathname === '/settings')
        await page
          .getByRole('table', { name: 'Where each type of model goes' })
          .waitFor({ timeout: 15_000 });
      // Evaluated in the page (a string, since the tests are not compiled against the DOM).
      const widths = (await page.evaluate(`({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        header: document.querySelector('header.top').scrollWidth,
      })`)) as { scroll: number; client: number; header: number };
      expect(widths.scroll, `${pathname} scrolls sideways`).toBeLessThanOrEqual(widths.client);
      if (pathname === '/library') {
        // The dense list is wider than a phone: it scrolls inside its panel, never the page.
        await page.getByRole('button', { name: 'List' }).click();
        const listScroll = (await page.evaluate('document.documentElement.scrollWidth')) as number;
        expect(listScroll, '/library list view scrolls sideways').toBeLessThanOrEqual(widths.client);
        await page.getByRole('button', { name: 'Cards' }).click();
      }
      expect(widths.header, `${pathname}: the header is wider than the screen`).toBeLessThanOrEqual(
        390,
      );
      for (const name of ['Downloads', 'Library', 'Workflows', 'Catalog', 'Settings']) {
        const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
        const box = await link.boundingBox();
        expect(box, `${name} link on ${pathname}`).not.toBeNull();
        expect(box!.x + box!.width, `${name} link on ${pathname}`).toBeLessThanOrEqual(390);
      }
      await screenshot(page, `narrow-${pathname.replace(/\W+/g, '-') || 'home'}`);
    }
  });

  it('answers an unknown page with a 404 that links home, and Settings shows the folders table', async () => {
    const page = await open('/no-such-page');
    await page.getByRole('heading', { name: 'There is no page here' }).waitFor();
    await page.getByRole('link', { name: 'Go to Downloads' }).click();
    await page.waitForURL(`${server.url}/`);
    await addDownloadForm(page).waitFor();

    await page.goto(new URL('/settings', server.url).href);
    const table = page.getByRole('table', { name: 'Where each type of model goes' });
    await table.waitFor({ timeout: 15_000 });
    const vaeRow = table.locator('tr[data-folder="vae"]');
    expect(await vaeRow.innerText()).toContain('VAE');
    expect(await table.locator('tr[data-folder="text_encoders"]').innerText()).toContain(
      'Text encoder',
    );
    expect(await page.locator('[data-models-dir]').innerText()).toBe(
      realpathSync(server.modelsDir),
    );
  });
});
