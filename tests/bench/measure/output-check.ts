/**
 * Checks what a tool wrote, after the clock stopped: every expected file is there, found by name
 * anywhere under the tool's folder, with exactly the expected SHA-256. A fast wrong download
 * does not count.
 */
import { createHash } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface ExpectedFile {
  /** The file's base name; names are unique within a scenario. */
  name: string;
  sha256: string;
}

export interface OutputCheck {
  ok: boolean;
  /** What was wrong, for the report (empty when ok). */
  problems: string[];
}

const READ_BYTES = 4 * 1024 * 1024;

export async function sha256OfFile(
  filePath: string,
  buffer = Buffer.allocUnsafe(READ_BYTES),
): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(filePath, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function filesUnder(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile()) found.set(entry.name, path.join(entry.parentPath, entry.name));
  }
  return found;
}

export async function checkOutputs(
  root: string,
  expected: readonly ExpectedFile[],
): Promise<OutputCheck> {
  const found = await filesUnder(root);
  const problems: string[] = [];
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  for (const file of expected) {
    const filePath = found.get(file.name);
    if (!filePath) {
      problems.push(`${file.name} is missing`);
    } else {
      const actual = await sha256OfFile(filePath, buffer);
      if (actual !== file.sha256)
        problems.push(
          `${file.name} has SHA-256 ${actual.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…`,
        );
    }
    // Stop early on a broken run: the first few problems say enough.
    if (problems.length >= 5) break;
  }
  return { ok: problems.length === 0, problems };
}
