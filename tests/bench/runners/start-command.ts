/**
 * The Node flags of `pnpm start` (the root package.json's start script, `node [flags]
 * apps/server/dist/main.js`): the bench runs the server with exactly them, and the engine child
 * too, so what is measured is what a user starts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const SERVER_ENTRY = path.join(REPO_ROOT, 'apps/server/dist/main.js');

export function startScriptNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const script = manifest.scripts?.start ?? '';
  const words = script.trim().split(/\s+/);
  const entry = words.indexOf('apps/server/dist/main.js');
  if (words[0] !== 'node' || entry === -1) {
    throw new Error(
      `The root start script should be "node [flags] apps/server/dist/main.js", not "${script}"`,
    );
  }
  return words.slice(1, entry);
}
