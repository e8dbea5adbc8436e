/**
 * The source preview, Settings and the Catalog in a real headless Chromium, against the built server
 * pointed at a fake Hugging Face Hub (and its fake CDN): paste → preview → Download → identical
 * bytes, reuse of a file already on disk, a gated repository's actionable error, saving an API key
 * that never stays in the page, a preset's missing files as one bundle, and rolling back a failed
 * bundle.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHfFile, FakeHuggingFace } from '../support/fake-huggingface';
import { ggufBytes } from './gguf-bytes';
import { safetensorsBytes } from './safetensors-bytes';
import {
  addDownload,
  addDownloadForm,
  apiFor,
  chromiumLookup,
  jobCard,
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

const KIB = 1024;
const HF_TOKEN = 'hf_browserTestToken0000WXYZ';

/** The catalog's built-in preset, served by the fake Hub under the repositories it names. */
const PRESET_ID = 'z-image-turbo';
const PRESET_FILES = [
  {
    repo: 'leejet/Z-Image-Turbo-GGUF',
    path: 'z_image_turbo-Q8_0.gguf',
    bytes: ggufBytes(96 * KIB, 21),
  },
  {
    repo: 'black-forest-labs/FLUX.1-schnell',
    path: 'ae.safetensors',
    bytes: safetensorsBytes(64 * KIB, 22),
  },
  {
    repo: 'unsloth/Qwen3-4B-Instruct-2507-GGUF',
    path: 'Qwen3-4B-Instruct-2507-Q8_0.gguf',
    bytes: ggufBytes(80 * KIB, 23),
  },
];

describe.skipIf(!chromiumLookup.found)('preview, settings and catalog pages in Chromium', () => {
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

  function hubFile(repo: string, filePath: string): FakeHfFile {
    return hub.repo(repo).file(filePath);
  }

  beforeAll(async () => {
    requireWebBuild();
    const folders = await createServerFolders();
    removeFolders = folders.remove;
    hub = await startFakeHuggingFace();
    hub.addRepo({
      id: 'acme/tiny-model',
      files: [
        { path: 'tiny.safetensors', content: safetensorsBytes(200 * KIB, 11) },
        { path: 'README.md', content: '# tiny' },
      ],
    });
    hub.addRepo({
      id: 'acme/gated-model',
      gated: true,
      files: [{ path: 'weights.safetensors', content: safetensorsBytes(32 * KIB, 12) }],
    });
    hub.addRepo({
      id: 'acme/two-parts',
      files: [
        { path: 'part-a.safetensors', content: safetensorsBytes(48 * KIB, 13) },
        { path: 'part-b.safetensors', content: safetensorsBytes(48 * KIB, 14) },
      ],
    });
    for (const file of PRESET_FILES) {
      hub.addRepo({ id: file.repo, files: [{ path: file.path, content: file.bytes }] });
    }
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

  it('previews a Hugging Face file, downloads exactly that, then offers to reuse it', async () => {
    const page = await open();
    const hfFile = hubFile('acme/tiny-model', 'tiny.safetensors');
    const url = `${hub.url}/acme/tiny-model/blob/main/tiny.safetensors`;
    const expected = await api.sources.resolve.query({ url });
    const resolved = expected.files[0]!;
    expect(resolved.expectedSha256).toBe(hfFile.sha256);

    const preview = await previewDownload(page, url);
    const row = preview.getByRole('listitem', { name: 'tiny.safetensors', exact: true });
    await row.waitFor({ timeout: 15_000 });
    await screenshot(page, 'sources-1-preview');
    expect(await row.locator('[data-size]').innerText()).toBe('205 kB');
    expect(await row.locator('[data-destination]').innerText()).toBe(resolved.relativePath);
    expect(await row.locator('[data-hash]').getAttribute('data-hash')).toBe(hfFile.sha256);
    expect(await row.locator('[data-hash]').innerText()).toBe(
      `${hfFile.sha256.slice(0, 12)}…${hfFile.sha256.slice(-6)}`,
    );
    expect(await row.getAttribute('data-on-disk')).toBe('missing');
    expect(await row.innerText(), 'no key is saved, so none is mentioned').not.toContain('token');
    expect(
      (await api.downloads.list.query({ limit: 500 })).items,
      'a preview starts nothing',
    ).toEqual([]);

    await addDownloadForm(page).getByRole('button', { name: 'Download', exact: true }).click();
    await expect
      .poll(() => statusOf(page, 'tiny.safetensors'), { timeout: 30_000 })
      .toBe('completed');
    const firstCopy = path.join(server.modelsDir, resolved.relativePath);
    expect(await sha256OfFile(firstCopy)).toBe(hfFile.sha256);

    // The same file into another folder: the page says it is already here and reuses it.
    // Resolving reads the safetensors header (its 8-byte length, then the JSON) with bounded
    // ranges to classify the file; the job's first step resolves again. Those reads are metadata:
    // what must not happen again is a request for the file's body (no range, or one reaching past
    // the header).
    const headerEnd = 8 + Number(hfFile.bytes.readBigUInt64LE(0));
    const bodyFetches = () =>
      hub.cdn.requestsFor(`lfs/${hfFile.sha256}`).filter((request) => {
        const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
        return request.method === 'GET' && !(range && Number(range[2]) < headerEnd);
      }).length;
    const cdnBodyFetchesBefore = bodyFetches();
    expect(cdnBodyFetchesBefore, 'the first download fetched the body').toBeGreaterThan(0);
    await addDownloadForm(page).locator('summary', { hasText: 'Options' }).click();
    await addDownloadForm(page).getByLabel('Folder', { exact: true }).fill('loras');
    const again = await previewDownload(page, url);
    await again
      .getByText(`You already have this file at ${resolved.relativePath}`)
      .waitFor({ timeout: 15_000 });
    const reuse = again.getByRole('checkbox', { name: /Reuse it instead of downloading/ });
    expect(await reuse.isChecked()).toBe(true);
    await screenshot(page, 'sources-2-reuse');
    await addDownloadForm(page).getByRole('button', { name: 'Download', exact: true }).click();
    await expect
      .poll(
        async () => {
          const { items } = await api.downloads.list.query({ limit: 500 });
          return items.filter((job) => job.status === 'completed').length;
        },
        { timeout: 30_000 },
      )
      .toBe(2);
    const reused = path.join(server.modelsDir, 'loras', 'tiny.safetensors');
    expect(await sha256OfFile(reused)).toBe(hfFile.sha256);
    expect(bodyFetches(), 'no byte of the body fetched again').toBe(cdnBodyFetchesBefore);
  });

  it("shows a gated repository's message with the repository link and the way to Settings", async () => {
    const page = await open();
    const url = `${hub.url}/acme/gated-model/blob/main/weights.safetensors`;
    await previewDownload(page, url);
    const alert = addDownloadForm(page).getByRole('alert');
    await alert.waitFor({ timeout: 15_000 });
    await screenshot(page, 'sources-3-gated');
    expect(await alert.innerText()).toContain('GATED_REPO');
    const repoLink = alert.getByRole('link', { name: `${hub.url}/acme/gated-model`, exact: true });
    expect(await repoLink.getAttribute('href')).toBe(`${hub.url}/acme/gated-model`);
    expect(await repoLink.getAttribute('rel')).toContain('noopener');
    expect(
      await addDownloadForm(page).getByRole('button', { name: 'Download', exact: true }).count(),
    ).toBe(0);

    await alert.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.waitForURL(`${server.url}/settings`);
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    expect(
      (await api.downloads.list.query({ limit: 500 })).items.some((job) =>
        job.source.includes('gated'),
      ),
    ).toBe(false);
  });

  it('saves a Hugging Face token: validated, last 4 shown, kept after a reload, never in the page', async () => {
    hub.addToken(HF_TOKEN, 'alice');
    const page = await open('/settings');
    const card = page.getByRole('article', { name: 'Hugging Face access token' });
    await card.getByText('No access token').waitFor({ timeout: 15_000 });

    // A key the platform refuses is not stored, and the page says why.
    await card
      .getByLabel('Hugging Face access token', { exact: true })
      .fill('hf_notAKnownToken1111');
    await card.getByRole('button', { name: 'Save', exact: true }).click();
    const refusal = card.getByRole('alert');
    await refusal.waitFor({ timeout: 15_000 });
    expect(await refusal.innerText()).toContain('INVALID_TOKEN');
    expect((await api.settings.apiKeys.list.query()).items).toEqual([]);

    await card.getByLabel('Hugging Face access token', { exact: true }).fill(HF_TOKEN);
    await card.getByRole('button', { name: 'Save', exact: true }).click();
    await card.locator('[data-health="works"]').waitFor({ timeout: 15_000 });
    await screenshot(page, 'settings-1-saved');
    expect(await card.locator('[data-masked-key]').innerText()).toBe('•••• WXYZ');
    await expectKeyNowhereInPage(page, HF_TOKEN);

    await page.reload();
    const reloaded = page.getByRole('article', { name: 'Hugging Face access token' });
    await reloaded.locator('[data-health="works"]').waitFor({ timeout: 15_000 });
    expect(await reloaded.locator('[data-masked-key]').innerText()).toBe('•••• WXYZ');
    await expectKeyNowhereInPage(page, HF_TOKEN);

    // Used at once: with access granted, the gated repository now previews with the token.
    hub.grantAccess('acme/gated-model', 'alice');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Downloads' })
      .click();
    const preview = await previewDownload(
      page,
      `${hub.url}/acme/gated-model/blob/main/weights.safetensors`,
    );
    const granted = preview.getByRole('listitem', { name: 'weights.safetensors', exact: true });
    // The saved-key list arrives on its own request: wait for the text, not just the row.
    await granted
      .filter({ hasText: 'Reachable with your Hugging Face token' })
      .waitFor({ timeout: 15_000 });
    expect(await addDownloadForm(page).getByRole('alert').count()).toBe(0);

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Settings' })
      .click();
    const again = page.getByRole('article', { name: 'Hugging Face access token' });
    await again.getByRole('button', { name: 'Remove the Hugging Face access token' }).click();
    await again.getByRole('button', { name: 'Yes, remove it' }).click();
    await again.getByText('No access token').waitFor({ timeout: 15_000 });
    expect((await api.settings.apiKeys.list.query()).items).toEqual([]);
  });

  it("shows the server's environment token in Settings and uses it for previews", async () => {
    const envToken = 'hf_environmentToken0000ENVT';
    hub.addToken(envToken, 'bob');
    hub.grantAccess('acme/gated-model', 'bob');
    const folders = await createServerFolders();
    const withToken = await startServerProcess({
      folders,
      env: { MODELDOCK_HF_ENDPOINT: hub.url, MODELDOCK_HF_TOKEN: envToken },
    });
    const opened = await openPage(browser, withToken, '/settings');
    context = opened.context;
    const page = opened.page;
    try {
      const line = page.getByTestId('environment-key-huggingface');
      await line.waitFor({ timeout: 15_000 });
      expect(await line.innerText()).toMatch(
        /From the server's environment \(MODELDOCK_HF_TOKEN or HF_TOKEN\):\s*•••• ENVT — used while no key is saved here\./,
      );
      await expectKeyNowhereInPage(page, envToken);

      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Downloads' })
        .click();
      const preview = await previewDownload(
        page,
        `${hub.url}/acme/gated-model/blob/main/weights.safetensors`,
      );
      await preview
        .getByRole('listitem', { name: 'weights.safetensors', exact: true })
        .filter({ hasText: 'Reachable with your Hugging Face token' })
        .waitFor({ timeout: 15_000 });
    } finally {
      await withToken.stop();
      await folders.remove();
    }
  });

  it("downloads a preset's missing files as one bundle, and the catalog then shows it present", async () => {
    // One file is already where the preset wants it: only the other two are fetched.
    const before = await api.sources.presets.query();
    const presetView = before.items.find((item) => item.id === PRESET_ID)!;
    const vae = presetView.files.find((file) => file.name === 'ae.safetensors')!;
    await mkdir(path.dirname(path.join(server.modelsDir, vae.relativePath)), { recursive: true });
    await writeFile(path.join(server.modelsDir, vae.relativePath), PRESET_FILES[1]!.bytes);

    const page = await open('/catalog');
    const card = page.getByRole('article', { name: presetView.name });
    await card.locator('[data-status="partial"]').first().waitFor({ timeout: 15_000 });
    expect(await card.getByRole('listitem').count(), 'missing files start hidden').toBe(1);
    await card.getByRole('button', { name: 'Show missing files (2)' }).click();
    expect(await card.getByRole('listitem').count()).toBe(3);
    await screenshot(page, 'catalog-1-partial');

    await card.getByRole('button', { name: 'Download missing' }).click();
    await page.waitForURL(/\/\?job=/, { timeout: 15_000 });
    const jobId = new URL(page.url()).searchParams.get('job')!;
    const bundle = page.locator(`article[data-job-id="${jobId}"]`);
    await bundle.waitFor({ timeout: 15_000 });
    expect(await bundle.getAttribute('class')).toContain('highlighted');
    // The bundle is titled by the preset's name, not by preset:<id>.
    await expect.poll(() => bundle.getAttribute('aria-label')).toBe(presetView.name);
    await expect
      .poll(async () => (await api.downloads.get.query({ jobId })).status, { timeout: 45_000 })
      .toBe('completed');
    await screenshot(page, 'catalog-2-bundle-done');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Catalog' })
      .click();
    const done = page.getByRole('article', { name: presetView.name });
    await done.locator('[data-status="present"]').first().waitFor({ timeout: 15_000 });
    expect(await done.getAttribute('data-preset-id')).toBe(PRESET_ID);
    expect(await done.locator('li[data-status="present"]').count()).toBe(3);
    expect(await done.getByRole('button', { name: 'Download missing' }).count()).toBe(0);
    const after = (await api.sources.presets.query()).items.find((item) => item.id === PRESET_ID)!;
    for (const [index, file] of after.files.entries()) {
      expect(file.status).toBe('present');
      expect(await sha256OfFile(path.join(server.modelsDir, file.relativePath))).toBe(
        hubFile(PRESET_FILES[index]!.repo, PRESET_FILES[index]!.path).sha256,
      );
    }
  });

  it('rolls back the completed files of a failed bundle after a confirmation, and only those', async () => {
    const partB = hubFile('acme/two-parts', 'part-b.safetensors');
    // Same size and a readable header (so it is still placed), other bytes: part b fails its
    // SHA-256 check every time, after part a completed.
    const otherBytes = safetensorsBytes(48 * KIB, 99);
    expect(otherBytes.length).toBe(partB.size);
    hub.cdn.replace(`lfs/${partB.sha256}`, otherBytes);
    const page = await open();
    const url = `${hub.url}/acme/two-parts`;
    const preview = await previewDownload(page, url);
    await preview
      .getByRole('listitem', { name: 'part-b.safetensors' })
      .waitFor({ timeout: 15_000 });
    const resolved = await api.sources.resolve.query({ url });
    const folder = path.dirname(path.join(server.modelsDir, resolved.files[0]!.relativePath));
    // A file the job did not write, beside the ones it does: a rollback must leave it alone.
    await mkdir(folder, { recursive: true });
    const bystander = path.join(folder, 'not-from-this-job.safetensors');
    await writeFile(bystander, 'keep me');

    await addDownload(page, url);
    const job = await waitForJob(
      api,
      (item) => item.files.length === 2 && item.status === 'failed',
      60_000,
    );
    const partA = job.files.find((file) => file.name === 'part-a.safetensors')!;
    expect(partA.status).toBe('completed');
    const partAPath = path.join(server.modelsDir, partA.relativePath);
    expect(existsSync(partAPath)).toBe(true);

    const card = jobCard(page, job.source);
    const offer = card.getByRole('group', { name: `Completed files of ${job.source}` });
    await offer.waitFor({ timeout: 15_000 });
    await screenshot(page, 'rollback-1-offer');
    await offer.getByRole('button', { name: `Roll back ${job.source}` }).click();
    await offer.getByRole('button', { name: 'Yes, delete 1 file' }).click();
    await expect.poll(() => existsSync(partAPath), { timeout: 15_000 }).toBe(false);
    await offer.waitFor({ state: 'detached', timeout: 15_000 });
    await screenshot(page, 'rollback-2-done');
    expect(existsSync(bystander)).toBe(true);
  });
});

type Job = Awaited<ReturnType<Api['downloads']['get']['query']>>;

/** Polls the server's job list until one job matches, and returns it. */
async function waitForJob(
  api: Api,
  matches: (job: Job) => boolean,
  timeoutMs: number,
): Promise<Job> {
  let found: Job | undefined;
  await expect
    .poll(
      async () => {
        found = (await api.downloads.list.query({ limit: 500 })).items.find(matches);
        return found !== undefined;
      },
      { timeout: timeoutMs },
    )
    .toBe(true);
  return found!;
}

/** Neither the markup nor any field's value holds the key once it is saved. */
async function expectKeyNowhereInPage(page: Page, key: string): Promise<void> {
  expect(await page.content()).not.toContain(key);
  const values = await page
    .locator('input, textarea')
    .evaluateAll((fields) => fields.map((field) => (field as unknown as { value: string }).value));
  expect(values.some((value) => value.includes(key))).toBe(false);
}
