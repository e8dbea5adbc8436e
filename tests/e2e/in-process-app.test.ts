/**
 * `startApp` run inside the test process (what main.ts does, without a child process): it serves
 * the API, its `close()` is a complete graceful stop (port closed, database lock released), and a
 * start that cannot open its database cleans up after itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isModeldockError } from '@modeldock/engine';
import { startApp } from '../../apps/server/src/app';
import {
  createConfiguredDirectories,
  HELP_REQUESTED,
  parseServerConfig,
} from '../../apps/server/src/env';
import type { ServerConfig } from '../../apps/server/src/env';

const quietConsole = { write: () => undefined };

describe('startApp in-process', () => {
  let root: string;
  let config: ServerConfig;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'modeldock-inproc-'));
    const parsed = parseServerConfig(
      [
        '--port',
        '0',
        '--data-dir',
        path.join(root, 'data'),
        '--models-dir',
        path.join(root, 'models'),
      ],
      { MODELDOCK_LOG_LEVEL: 'warn' },
      root,
    );
    if (parsed === HELP_REQUESTED) throw new Error('unexpected help');
    config = parsed;
    createConfiguredDirectories(config);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('serves the API, stops completely on close(), and can start again on the same data', async () => {
    const app = await startApp(config, { console: quietConsole });
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(app.database).toBe('pglite');
    const health = await fetch(`${app.url}/trpc/health`);
    expect(await health.json()).toEqual({
      result: {
        data: {
          ok: true,
          version: expect.any(String),
          database: 'pglite',
          node: expect.any(String),
          workers: [expect.objectContaining({ self: true, alive: true })],
        },
      },
    });

    await Promise.all([app.close(), app.close()]);
    await expect(fetch(`${app.url}/trpc/health`)).rejects.toThrow();

    // The embedded database's lock went with the close: a new start on the same folder works.
    const again = await startApp(config, { console: quietConsole });
    expect((await fetch(`${again.url}/trpc/health`)).status).toBe(200);
    await again.close();
  });

  it('fails with a typed error and leaves nothing running when the database cannot be opened', async () => {
    const broken: ServerConfig = {
      ...config,
      databaseUrl: 'postgres://127.0.0.1:1/nothing-listens-here',
    };
    const failure = await startApp(broken, { console: quietConsole }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isModeldockError(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/127\.0\.0\.1:1/);
  });
});
