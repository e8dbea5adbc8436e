/**
 * The PostgreSQL tier runs when TEST_DATABASE_URL names a server (CI sets
 * postgres://postgres@127.0.0.1:5432/test); each test file works in scratch databases it creates
 * and drops, never in the one the URL names. Without it the tier is skipped, and says so.
 */
import { describe } from 'vitest';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || null;

export function describeWithPostgres(name: string, body: (adminUrl: string) => void): void {
  if (!TEST_DATABASE_URL) {
    console.log(
      `[${name}] skipped: TEST_DATABASE_URL is not set (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)`,
    );
    describe.skip(name, () => body(''));
    return;
  }
  const adminUrl = TEST_DATABASE_URL;
  describe(name, () => body(adminUrl));
}
