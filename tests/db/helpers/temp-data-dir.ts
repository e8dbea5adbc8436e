/** A fresh temporary data directory per use, removed afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export async function makeTempDataDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'modeldock-db-'));
}

export async function removeTempDataDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
