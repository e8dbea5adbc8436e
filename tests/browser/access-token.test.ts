/**
 * The web app against a server with MODELDOCK_ACCESS_TOKEN set, in a real headless Chromium: the
 * page asks for the token, a wrong one is refused with the server's message, the right one signs
 * the browser in (an HttpOnly cookie the page cannot read), and the downloads list and the live
 * WebSocket appear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@modeldock/server';
import { startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import {
  chromiumLookup,
  connectionStatus,
  jobCard,
  launchBrowser,
  requireWebBuild,
  screenshot,
} from './page-helpers';

const ACCESS_TOKEN = 'browserFAKEtoken0modeldock0tests';

if (!chromiumLookup.found) console.log(`Skipping the browser tests: ${chromiumLookup.reason}.`);

describe.skipIf(!chromiumLookup.found)('access token in Chromium', () => {
  let browser: Browser;
  let server: ServerProcess;
  let origin: FileOrigin;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser, origin] = await Promise.all([
      startServerProcess({ env: { MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN } }),
      launchBrowser(),
      startFileOrigin(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    await origin?.close();
  });

  it('asks for the token, refuses a wrong one, and shows the downloads once signed in', async () => {
    // A job made by a program with the bearer token, for the page to show once it may.
    const owner = createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: `${server.url}/trpc`,
          headers: { authorization: `Bearer ${ACCESS_TOKEN}` },
        }),
      ],
    });
    const file = origin.addFile('behind-the-token.bin', { size: 2048, seed: 5 });
    await owner.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });

    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      const form = page.getByRole('form', { name: 'Access token' });
      await form.waitFor({ timeout: 15_000 });
      await screenshot(page, 'access-1-asked');

      await form.getByLabel('Access token').fill(`${ACCESS_TOKEN}-wrong`);
      await form.getByRole('button', { name: 'Unlock' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /needs its access token/ })
        .waitFor({ timeout: 10_000 });
      expect(await context.cookies()).toEqual([]);
      // Seconds after the page opened, and after a refused attempt: still nothing of the queue shown.
      expect(await jobCard(page, file.name).count()).toBe(0);

      await form.getByLabel('Access token').fill(ACCESS_TOKEN);
      await form.getByRole('button', { name: 'Unlock' }).click();
      await jobCard(page, file.name).waitFor({ timeout: 15_000 });
      await expect.poll(() => connectionStatus(page), { timeout: 15_000 }).toBe('connected');
      await expect(page.getByRole('form', { name: 'Access token' }).count()).resolves.toBe(0);
      await screenshot(page, 'access-2-signed-in');

      const cookies = await context.cookies();
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({
        name: 'modeldock_session',
        httpOnly: true,
        sameSite: 'Strict',
      });
      expect(cookies[0]!.value).not.toContain(ACCESS_TOKEN);
      // The page's scripts never see it.
      expect(await page.evaluate('document.cookie')).toBe('');
    } finally {
      await context.close();
    }
  });
});
