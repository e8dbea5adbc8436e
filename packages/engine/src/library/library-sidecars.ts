/**
 * The files other model tools keep beside a model (`<stem>` = the name without its extension), from
 * ../../../../docs (library conventions): Civitai Helper's `<stem>.civitai.info`, Lora-Manager's
 * `<stem>.metadata.json`, A1111's `<stem>.json` (recognised by its keys: a plain `.json` may be a
 * config someone else needs), Model-Manager's `<stem>.md`, and the previews all of them read.
 */
import path from 'node:path';
import type { FileSystem } from '../ports';

export const SIDECAR_SUFFIXES = ['.civitai.info', '.metadata.json', '.md'] as const;

/** Lora-Manager's preview search order, the union of what the tools read. */
export const PREVIEW_SUFFIXES = [
  '.webp',
  '.preview.webp',
  '.preview.png',
  '.preview.jpeg',
  '.preview.jpg',
  '.preview.mp4',
  '.png',
  '.jpeg',
  '.jpg',
  '.mp4',
  '.gif',
  '.webm',
  '.avif',
  '.jxl',
] as const;

/** `.preview.*` names say what they are: safe to call orphaned when no model has their stem. */
export const PREVIEW_ONLY_SUFFIXES = PREVIEW_SUFFIXES.filter((suffix) => suffix.startsWith('.preview.'));

const A1111_KEYS = ['activation text', 'description', 'sd version', 'modelId', 'sha256', 'notes', 'preferred weight'];
const MAX_JSON_SIDECAR_BYTES = 1024 * 1024;

export function stemOf(fileName: string): string {
  const extension = path.posix.extname(fileName);
  return extension ? fileName.slice(0, -extension.length) : fileName;
}

/** True when `<stem>.json` is A1111 extra-networks user metadata, read at most 1 MiB. */
async function isA1111Metadata(fs: FileSystem, absolutePath: string): Promise<boolean> {
  const stat = await fs.lstat(absolutePath).catch(() => null);
  if (!stat?.isFile || stat.size > MAX_JSON_SIDECAR_BYTES) return false;
  const handle = await fs.open(absolutePath, 'r');
  try {
    const buffer = new Uint8Array(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const value: unknown = JSON.parse(new TextDecoder().decode(buffer.subarray(0, bytesRead)));
    return typeof value === 'object' && value !== null && !Array.isArray(value) && A1111_KEYS.some((key) => key in value);
  } catch {
    return false;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Sidecars and previews of the model at `absolutePath` that exist as regular files (never links).
 * Another model with the same stem in the folder shares them, so then none are returned.
 */
export async function sidecarsOf(fs: FileSystem, absolutePath: string, isModelName: (name: string) => boolean): Promise<string[]> {
  const folder = path.dirname(absolutePath);
  const fileName = path.basename(absolutePath);
  const stem = stemOf(fileName);
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  if (names.some((name) => name !== fileName && isModelName(name) && stemOf(name) === stem)) return [];
  const wanted = new Set<string>([...SIDECAR_SUFFIXES, ...PREVIEW_SUFFIXES].map((suffix) => stem + suffix));
  const found: string[] = [];
  for (const name of names) {
    if (name === fileName) continue;
    const candidate = path.join(folder, name);
    if (wanted.has(name) || (name === `${stem}.json` && (await isA1111Metadata(fs, candidate)))) {
      const stat = await fs.lstat(candidate).catch(() => null);
      if (stat?.isFile) found.push(candidate);
    }
  }
  return found.sort();
}
