/**
 * Export on one data folder and import on an empty one through the browser (Library → Export
 * manifest saves the file; Library → Import manifest on the other server shows the dry run, then one
 * click downloads the missing files), and the Workflows page: a workflow shaped like ComfyUI's
 * templates (a subgraph, a legacy `unet` hint directory, a hint under another name than the node
 * loads) pasted, analysed, its missing models downloaded with one click into the expected folders;
 * a workflow pasted into the add form lands on the same analysis.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { sha256Of, startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { modelFile } from '../sources/helpers/hf-fixtures';
import {
  apiFor,
  chromiumLookup,
  launchBrowser,
  openPage,
  requireWebBuild,
  sha256OfFile,
} from './page-helpers';
import type { Api } from './page-helpers';

if (!chromiumLookup.found) console.log(`Skipping the browser tests: ${chromiumLookup.reason}.`);

const FIXTURE = new URL('../fixtures/workflows/z-image-subgraph.json', import.meta.url);

describe.skipIf(!chromiumLookup.found)('export, import and workflows in Chromium', () => {
  let browser: Browser;
  let hub: FakeHuggingFace;
  let origin: FileOrigin;
  let foldersA: TemporaryServerFolders;
  let foldersB: TemporaryServerFolders;
  let serverA: ServerProcess;
  let serverB: ServerProcess;
  let apiA: Api;
  let apiB: Api;
  let context: BrowserContext | null = null;
  let workflow: string;
  const exported = modelFile('exported.safetensors', 'exported', 3000);
  const qwen = modelFile('qwen_3_4b.safetensors', 'qwen', 3000);
  const ae = modelFile('ae.safetensors', 'ae', 2500);
  const lora = modelFile('detail_slider_v1.safetensors', 'lora', 2200);

  async function open(server: ServerProcess, pathname: string): Promise<Page> {
    const opened = await openPage(browser, server, pathname);
    context = opened.context;
    return opened.page;
  }

  async function waitForFile(file: string, sha256: string): Promise<void> {
    await expect.poll(() => sha256OfFile(file).catch(() => null), { timeout: 60_000 }).toBe(sha256);
  }

  beforeAll(async () => {
    requireWebBuild();
    hub = await startFakeHuggingFace();
    hub.addRepo({
      id: 'Comfy-Org/z_image_turbo',
      files: [
        {
          path: 'split_files/diffusion_models/z_image_turbo_bf16.safetensors',
          content: modelFile('z.safetensors', 'z', 2048),
        },
        { path: 'split_files/text_encoders/qwen_3_4b.safetensors', content: qwen },
      ],
    });
    hub.addRepo({
      id: 'black-forest-labs/FLUX.1-schnell',
      files: [{ path: 'ae.safetensors', content: ae }],
    });
    origin = await startFileOrigin();
    origin.addFile('exported.safetensors', { bytes: exported });
    origin.addFile('detail_slider_v1.safetensors', { bytes: lora });
    workflow = (await readFile(FIXTURE, 'utf8'))
      .replaceAll('{{HF}}', hub.url)
      .replaceAll('{{ORIGIN}}', origin.url)
      .replaceAll('{{AE_SHA256}}', sha256Of(ae).toUpperCase());
    [foldersA, foldersB] = await Promise.all([createServerFolders(), createServerFolders()]);
    await mkdir(path.join(foldersA.modelsDir, 'embeddings'), { recursive: true });
    await writeFile(
      path.join(foldersA.modelsDir, 'embeddings/by-hand.safetensors'),
      modelFile('h.safetensors', 'hand', 2048),
    );
    await mkdir(path.join(foldersB.modelsDir, 'unet'), { recursive: true });
    await writeFile(
      path.join(foldersB.modelsDir, 'unet/z_image_turbo_bf16.safetensors'),
      modelFile('z.safetensors', 'z', 2048),
    );
    const env = { MODELDOCK_HF_ENDPOINT: hub.url };
    [serverA, serverB, browser] = await Promise.all([
      startServerProcess({ folders: foldersA, env }),
      startServerProcess({ folders: foldersB, env }),
      launchBrowser(),
    ]);
    apiA = apiFor(serverA);
    apiB = apiFor(serverB);
    const { jobId } = await apiA.downloads.enqueue.mutate({
      url: `${origin.url}/exported.safetensors`,
      folder: 'loras',
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const manifest = await apiA.library.export.query();
      const job = await apiA.downloads.get.query({ jobId });
      if (
        job.status === 'completed' &&
        manifest.models.length === 2 &&
        manifest.models.every((model) => model.sha256)
      )
        break;
      if (Date.now() > deadline) throw new Error('the export fixture did not settle');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 240_000);

  afterEach(async () => {
    await context?.close();
    context = null;
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([serverA?.stop(), serverB?.stop()]);
    await Promise.all([foldersA?.remove(), foldersB?.remove(), origin?.close(), hub?.close()]);
  });

  it('exports the manifest on one server and imports it on an empty one', async () => {
    const pageA = await open(serverA, '/library');
    const [download] = await Promise.all([
      pageA.waitForEvent('download'),
      pageA.getByRole('button', { name: 'Export manifest' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^modeldock-collection-\d{4}-\d\d-\d\d\.json$/);
    const manifestFile = path.join(foldersA.dataDir, '..', 'exported-manifest.json');
    await download.saveAs(manifestFile);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as {
      schema: string;
      models: Array<{ path: string }>;
    };
    expect(manifest.schema).toBe('modeldock.collection');
    expect(manifest.models.map((model) => model.path).sort()).toEqual([
      'embeddings/by-hand.safetensors',
      'loras/exported.safetensors',
    ]);
    await context!.close();

    const pageB = await open(serverB, '/library');
    await pageB.getByLabel('Import manifest').setInputFiles(manifestFile);
    const dialog = pageB.locator('dialog[open]');
    await expect
      .poll(() => dialog.locator('[data-import="missing"] li').count(), { timeout: 30_000 })
      .toBe(1);
    expect(await dialog.locator('[data-import="missing"]').textContent()).toContain(
      'loras/exported.safetensors',
    );
    expect(await dialog.locator('[data-import="unresolved"]').textContent()).toContain(
      'embeddings/by-hand.safetensors',
    );
    expect((await apiB.downloads.list.query()).items).toEqual([]);
    await dialog.getByRole('button', { name: 'Download 1 missing' }).click();
    await expect
      .poll(() => pageB.getByRole('status').filter({ hasText: 'Import started' }).count(), {
        timeout: 30_000,
      })
      .toBe(1);
    await waitForFile(
      path.join(foldersB.modelsDir, 'loras/exported.safetensors'),
      sha256Of(exported),
    );
  });

  it('analyses a pasted workflow and downloads its missing models with one click', async () => {
    const page = await open(serverB, '/workflows');
    await page.getByLabel('Workflow JSON').fill(workflow);
    await page.getByRole('button', { name: 'Analyse' }).click();
    const rows = page.locator('li.model');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(6);
    expect(
      await page
        .locator('li.model[data-path="diffusion_models/z_image_turbo_bf16.safetensors"]')
        .getAttribute('data-status'),
    ).toBe('present');
    const loraRow = page.locator('li.model[data-path="loras/sliders/detail_slider.safetensors"]');
    expect(await loraRow.getAttribute('data-status')).toBe('missing');
    expect(await loraRow.textContent()).toContain('saved under that name');
    expect(
      await page.locator('li.model[data-path="text_encoders/qwen_3_4b.safetensors"]').textContent(),
    ).toContain('legacy name');
    const upscaler = page.locator('li.model[data-path="upscale_models/4x_NoHintAnywhere.pth"]');
    expect(await upscaler.getByRole('link', { name: 'Civitai' }).getAttribute('href')).toContain(
      '4x_NoHintAnywhere',
    );

    await page.getByRole('button', { name: 'Download 3 missing' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Downloading 3 models' }).count(), {
        timeout: 30_000,
      })
      .toBe(1);
    await waitForFile(
      path.join(foldersB.modelsDir, 'loras/sliders/detail_slider.safetensors'),
      sha256Of(lora),
    );
    await waitForFile(
      path.join(foldersB.modelsDir, 'text_encoders/qwen_3_4b.safetensors'),
      sha256Of(qwen),
    );
    await waitForFile(path.join(foldersB.modelsDir, 'vae/ae.safetensors'), sha256Of(ae));
  });

  it('a workflow pasted into the add form opens its analysis', async () => {
    const page = await open(serverB, '/');
    const field = page.locator('#add-url');
    await field.focus();
    // Evaluated in the page (a string, since the tests are not compiled against the DOM).
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.setData('text/plain', ${JSON.stringify(workflow)});
      document.querySelector('#add-url').dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
      );
    })()`);
    await expect.poll(() => new URL(page.url()).pathname, { timeout: 30_000 }).toBe('/workflows');
    await expect.poll(() => page.locator('li.model').count(), { timeout: 30_000 }).toBe(6);
  });
});
