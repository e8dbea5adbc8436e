/**
 * Which files of a preset are already on disk, without any network: present at the final path,
 * partly present (a download's partial file beside it, or a final file whose size differs from the
 * one the catalog knows), or missing. Feeds the "missing models" view.
 */
import path from 'node:path';
import { ModeldockError } from '../../errors';
import { absoluteDestination } from '../../paths/confine-path';
import { isTempFileName } from '../../paths/temp-path';
import type { FileSystem } from '../../ports';
import { findPreset } from './catalog';
import type { Preset } from './catalog';
import { presetFileDestination } from './preset-destinations';

export type PresetFileState = 'present' | 'partial' | 'missing';

export interface PresetFileStatus {
  role: string;
  name: string;
  relativePath: string;
  state: PresetFileState;
  /** A complete file is at the final path. */
  exists: boolean;
  /** Size of the file at the final path, else of the largest partial download, else null. */
  size: number | null;
  expectedBytes: number | null;
}

export interface PresetStatus {
  presetId: string;
  title: string;
  state: PresetFileState;
  files: PresetFileStatus[];
}

/** Size of the largest partial download (temp file) of `finalPath`, or null when there is none. */
export async function largestPartialSize(fs: FileSystem, finalPath: string): Promise<number | null> {
  const directory = path.dirname(finalPath);
  const prefix = `.${path.basename(finalPath)}.`;
  let names: string[];
  try {
    names = await fs.readdir(directory);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT' || (error as { code?: unknown }).code === 'ENOTDIR') return null;
    throw error;
  }
  let largest: number | null = null;
  for (const name of names) {
    if (!isTempFileName(name) || !name.startsWith(prefix)) continue;
    const stat = await fs.stat(path.join(directory, name));
    if (stat?.isFile) largest = Math.max(largest ?? 0, stat.size);
  }
  return largest;
}

export async function presetStatus(preset: Preset | string, fs: FileSystem, modelsRoot: string): Promise<PresetStatus> {
  const found = typeof preset === 'string' ? findPreset(preset) : preset;
  if (!found) throw new ModeldockError('INVALID_INPUT', `There is no preset "${String(preset).slice(0, 60)}"`);
  const files: PresetFileStatus[] = [];
  for (const file of found.files) {
    const relativePath = presetFileDestination(file);
    const finalPath = absoluteDestination(modelsRoot, relativePath);
    const stat = await fs.stat(finalPath);
    const expectedBytes = file.bytes ?? null;
    const base = { role: file.role, name: path.posix.basename(relativePath), relativePath, expectedBytes };
    if (stat?.isFile) {
      const sizeMatches = expectedBytes === null || stat.size === expectedBytes;
      files.push({ ...base, state: sizeMatches ? 'present' : 'partial', exists: true, size: stat.size });
      continue;
    }
    const partial = await largestPartialSize(fs, finalPath);
    files.push({ ...base, state: partial === null ? 'missing' : 'partial', exists: false, size: partial });
  }
  const states = new Set(files.map((file) => file.state));
  const state: PresetFileState = states.size === 1 ? [...states][0]! : 'partial';
  return { presetId: found.id, title: found.title, state, files };
}
