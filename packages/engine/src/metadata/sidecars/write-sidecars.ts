/**
 * Writes the sidecars other tools read beside a model: `<stem>.civitai.info` (when the metadata came
 * from Civitai), `<stem>.metadata.json` (always) and, when asked, A1111's `<stem>.json`. Each is
 * written atomically; an existing `.metadata.json` or `.json` is merged into, never replaced by a
 * poorer one, and one that cannot be read is left alone with an item error (it may hold a user's
 * notes that modeldock cannot see).
 */
import path from 'node:path';
import { ModeldockError, toModeldockError } from '../../errors';
import { absoluteDestination } from '../../paths/confine-path';
import type { FileSystem } from '../../ports';
import { writeFileAtomically, jsonBytes } from './atomic-write';
import { readSidecarJson } from './sidecar-json';
import { buildA1111, buildCivitaiInfo, buildLoraManager } from './sidecar-formats';
import type { SidecarContent } from './sidecar-formats';
import type { SidecarError } from './read-sidecars';
import { A1111_SUFFIX, CIVITAI_INFO_SUFFIX, LORA_MANAGER_SUFFIX, sidecarPath, stemOf } from './sidecar-paths';

export interface WriteSidecarsInput {
  fs: FileSystem;
  modelsRoot: string;
  relativePath: string;
  sizeBytes: number;
  mtimeMs: number;
  sha256: string | null;
  content: SidecarContent;
  /** Also write A1111's `<stem>.json`. */
  a1111: boolean;
}

export interface SidecarsWritten {
  /** Relative paths written. */
  written: string[];
  errors: SidecarError[];
}

export async function writeSidecars(input: WriteSidecarsInput): Promise<SidecarsWritten> {
  const result: SidecarsWritten = { written: [], errors: [] };
  const facts = {
    absolutePath: absoluteDestination(input.modelsRoot, input.relativePath),
    stem: stemOf(input.relativePath),
    sizeBytes: input.sizeBytes,
    mtimeMs: input.mtimeMs,
    sha256: input.sha256,
  };

  async function write(suffix: string, build: (existing: Record<string, unknown> | null) => Record<string, unknown> | null, indent: number): Promise<void> {
    const relative = sidecarPath(input.relativePath, suffix);
    try {
      const existing = await readSidecarJson(input.fs, absoluteDestination(input.modelsRoot, relative), path.posix.basename(relative));
      if (existing.kind === 'invalid') throw existing.error;
      const value = build(existing.kind === 'ok' ? existing.value : null);
      if (value === null) return;
      await writeFileAtomically(input.fs, input.modelsRoot, relative, jsonBytes(value, indent));
      result.written.push(relative);
    } catch (error) {
      const failure = toModeldockError(error, 'IO_ERROR');
      result.errors.push({ target: relative, code: failure.code, message: failure.message });
    }
  }

  // Civitai Helper writes indent 4, Lora-Manager indent 2: each tool's own layout.
  await write(CIVITAI_INFO_SUFFIX, () => buildCivitaiInfo(input.content), 4);
  await write(LORA_MANAGER_SUFFIX, (existing) => buildLoraManager(existing, facts, input.content), 2);
  if (input.a1111) {
    await write(
      A1111_SUFFIX,
      (existing) => {
        if (existing && !('activation text' in existing) && !('sd version' in existing) && !('preferred weight' in existing) && Object.keys(existing).length > 0) {
          throw new ModeldockError('INVALID_SIDECAR', `${stemOf(input.relativePath)}.json belongs to another tool (it is not A1111 user metadata); left as it is`);
        }
        return buildA1111(existing, facts, input.content);
      },
      4,
    );
  }
  return result;
}
