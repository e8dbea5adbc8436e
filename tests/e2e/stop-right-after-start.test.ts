/**
 * A supervisor (or a test) may send SIGTERM the moment it reads `modeldock listening on …`: the
 * line is printed only once the stop is handled, so that SIGTERM is a graceful stop (exit 0),
 * never a kill mid-start. Twice the seeded-database setup failed this way before the fix.
 */
import { describe, expect, it } from 'vitest';
import { startServerProcess } from '../support/server-process';

describe('SIGTERM right after the listening line', () => {
  it('stops gracefully with exit code 0, every time', async () => {
    for (let round = 0; round < 3; round += 1) {
      const server = await startServerProcess();
      try {
        const exit = await server.stop('SIGTERM');
        expect(exit, server.output()).toEqual({ code: 0, signal: null });
        expect(server.output()).toMatch(/modeldock stopped/);
      } finally {
        await server.dispose();
      }
    }
  }, 180_000);
});
